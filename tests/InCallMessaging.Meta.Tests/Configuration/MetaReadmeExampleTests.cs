using System.Text;
using System.Text.RegularExpressions;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Meta.Tests.Configuration;

/// <summary>The README's Meta example must be one a user can paste and run.</summary>
public sealed partial class MetaReadmeExampleTests
{
    [Fact]
    public void The_readme_example_binds_and_passes_start_up_validation()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var json = JsonBlock().Matches(readme).Select(m => m.Groups[1].Value).Single(b => b.Contains("\"Provider\": \"Meta\"", StringComparison.Ordinal));
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        using var services = new ServiceCollection()
            .AddLogging()
            .AddInCallMessaging(configuration.GetSection("InCallMessaging"))
            .AddInCallMessagingMetaWhatsApp(configuration.GetSection(MetaWhatsAppOptions.SectionName))
            .BuildServiceProvider();

        var plugin = services.GetRequiredService<KernelPlugin>();
        var meta = services.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value;

        Assert.Equal(["send_invoice"], plugin.Select(f => f.Name));
        Assert.Equal("v24.0", meta.GraphApiVersion);
        Assert.Equal("106540352242922", services.GetRequiredService<IOptions<InCallMessagingOptions>>().Value.Senders["whatsapp"].ServiceId);
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "InCallMessaging.SemanticKernel.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
    }
}
