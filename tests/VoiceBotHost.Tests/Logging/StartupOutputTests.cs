using System.Net;
using VoiceBotHost.Tests.TestSupport;

namespace VoiceBotHost.Tests.Logging;

/// <summary>What <c>dotnet run --project samples/VoiceBotHost</c> prints, from the real process.</summary>
public sealed class StartupOutputTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task The_simulator_url_is_the_last_line_of_the_start_up_output_after_the_banner_with_nothing_in_between()
    {
        await using var sample = SampleProcess.Start();
        var url = await sample.WaitForSimulatorUrlAsync();
        using (var page = await Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        await sample.StopAsync();
        var lines = sample.Stdout;

        // Nothing follows the URL: not a log line written late, not the shutdown.
        Assert.Equal($"  Call simulator: {url}", lines[^1]);
        // The banner is whole: its lines come one after another, after every line logged while starting.
        Assert.Equal(
        [
            "",
            "  LLM: offline demo model, a few keyword rules and not an LLM (set OPENAI_API_KEY for a real model)",
            "  Messaging: offline (loopback provider, development-only Twilio token)",
            "  Press Ctrl+C to stop.",
            $"  Call simulator: {url}",
        ], lines.TakeLast(5));
        var stateLine = Assert.Single(lines, l => l.Contains("keeps its state in SQLite", StringComparison.Ordinal));
        Assert.Matches(@"^\d\d:\d\d:\d\d info MessageRetentionService In-call messaging keeps its state in SQLite", stateLine);
        Assert.Empty(sample.Stderr);
    }
}
