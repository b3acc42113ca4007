using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel.Tests.Core.DependencyInjection;

/// <summary>With dependency injection the same validation runs when the host starts (ValidateOnStart).</summary>
public sealed class OptionsValidationOnStartTests
{
    private static IConfiguration BadConfiguration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Senders:default:Provider"] = "Loopback",
        ["Senders:default:From"] = "12345",
        ["Senders:api:Provider"] = "Http",
        ["Actions:0:Name"] = "bad name!",
        ["Actions:0:Description"] = "",
        ["Actions:1:Name"] = "send_code",
        ["Actions:1:Description"] = "Text the caller a code.",
        ["Actions:1:Sender"] = "nope",
        ["Actions:1:ReplyTimeout"] = "00:30:00",
        ["Actions:1:Body"] = "Your code is <code>.",
    }).Build();

    private static readonly string[] ExpectedFailures =
    [
        "Sender 'default': From '12345'",
        "Sender 'api': Http:Url is required",
        "Action 'bad name!': Name must contain only",
        "Action 'bad name!': Description is required",
        "Action 'send_code': Sender 'nope'",
        "Action 'send_code': ReplyTimeout 00:30:00",
        "Action 'send_code': Body uses placeholder 'code'",
    ];

    private static void AssertAllListed(OptionsValidationException exception)
    {
        Assert.Equal(typeof(InCallMessagingOptions), exception.OptionsType);
        foreach (var fragment in ExpectedFailures)
        {
            Assert.Contains(exception.Failures, f => f.Contains(fragment, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Host_start_fails_with_every_configuration_problem_listed()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddInCallMessaging(BadConfiguration());
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        AssertAllListed(exception);
    }

    [Fact]
    public void Resolving_the_options_or_the_runtime_fails_with_every_problem_listed()
    {
        var services = new ServiceCollection();
        services.AddInCallMessaging(BadConfiguration());
        using var provider = services.BuildServiceProvider();

        AssertAllListed(Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<InCallMessagingOptions>>().Value));
        AssertAllListed(Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<InCallMessagingRuntime>()));
    }

    [Fact]
    public async Task Host_with_a_valid_configuration_starts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddInCallMessaging(options =>
        {
            options.Senders["default"] = new MessageSenderOptions { From = "+14155550199" };
            options.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text a summary." });
        });
        using var host = builder.Build();

        await host.StartAsync();
        try
        {
            Assert.Equal("send_summary", Assert.Single(host.Services.GetRequiredService<InCallMessagingRuntime>().Plugin).Name);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
