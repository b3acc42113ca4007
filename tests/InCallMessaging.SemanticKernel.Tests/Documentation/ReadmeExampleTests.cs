using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Moq;

namespace InCallMessaging.SemanticKernel.Tests.Documentation;

/// <summary>The configuration example in the README must be one a user can paste and run.</summary>
public sealed partial class ReadmeExampleTests
{
    [Fact]
    public void Readme_configuration_example_binds_and_passes_start_up_validation()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var json = JsonBlock().Matches(readme).Select(m => m.Groups[1].Value).First(b => b.Contains("\"InCallMessaging\"", StringComparison.Ordinal));
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var options = configuration.GetSection(InCallMessagingOptions.SectionName).Get<InCallMessagingOptions>()!;
        var twilio = new Mock<IMessageProvider>();
        twilio.SetupGet(p => p.Name).Returns("Twilio");

        var runtime = InCallMessagingRuntime.Create(options, [twilio.Object]);

        Assert.Equal(["send_otp", "send_summary", "send_payment_link"], runtime.Plugin.Select(f => f.Name));
        var otp = runtime.Plugin["send_otp"].Metadata.Parameters.Single();
        Assert.Equal("otp_code", otp.Name);
        Assert.True(otp.IsRequired);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Actions[0].ReplyTimeout);
        Assert.Equal("message", runtime.Plugin["send_summary"].Metadata.Parameters.Single().Name);
    }

    [Fact]
    public void Readme_quick_start_uses_the_one_line_plumbing_and_the_sample_applies_pending_replies_before_the_callers_latest_words()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var sample = File.ReadAllText(Path.Combine(root, "samples", "VoiceBotHost", "Agent", "VoiceAgent.cs"));
        var quickStart = readme[readme.IndexOf("## Quick start", StringComparison.Ordinal)..readme.IndexOf("## Configuration", StringComparison.Ordinal)];

        // The call's chat service (SK) and client (Microsoft.Extensions.AI) apply the texts; the host only adds its words.
        Assert.Contains("var chat = kernel.UseInCallMessaging(session);", quickStart, StringComparison.Ordinal);
        Assert.Contains(".AsBuilder().UseInCallMessaging(session).Build();", quickStart, StringComparison.Ordinal);
        Assert.True(quickStart.IndexOf("history.AddUserMessage(callerSaid);", StringComparison.Ordinal)
            < quickStart.IndexOf("chat.GetChatMessageContentAsync(history, settings)", StringComparison.Ordinal));
        // A text that arrived before the caller spoke goes into the history first: chronological order.
        Assert.True(sample.IndexOf(".ApplyPendingReplies(history)", StringComparison.Ordinal)
            < sample.IndexOf("history.AddUserMessage(callerLine)", StringComparison.Ordinal));
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "InCallMessaging.SemanticKernel.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
