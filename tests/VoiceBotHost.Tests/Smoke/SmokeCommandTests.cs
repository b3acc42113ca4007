using VoiceBotHost.Tests.TestSupport;

namespace VoiceBotHost.Tests.Smoke;

/// <summary><c>dotnet run --project samples/VoiceBotHost -- smoke URL</c> against the running sample, both processes real.</summary>
public sealed class SmokeCommandTests
{
    [Fact]
    public async Task Smoke_passes_against_a_running_host_unsigned_gets_403_and_signed_gets_200()
    {
        await using var host = SampleProcess.Start();
        var url = await host.WaitForSimulatorUrlAsync();

        await using var smoke = SampleProcess.Command("smoke", url.AbsoluteUri);
        var exitCode = await smoke.WaitForExitAsync();

        Assert.True(exitCode == 0, smoke.Output);
        Assert.Contains(smoke.Stdout, l => l.Contains("POST /twilio/messages, unsigned", StringComparison.Ordinal) && l.EndsWith("-> 403 ok", StringComparison.Ordinal));
        Assert.Contains(smoke.Stdout, l => l.Contains("POST /voice/incoming, signed", StringComparison.Ordinal) && l.EndsWith("-> 200 ok", StringComparison.Ordinal));
        Assert.Contains(smoke.Stdout, l => l.Contains("POST /twilio/status, signed", StringComparison.Ordinal) && l.EndsWith("-> 200 ok", StringComparison.Ordinal));
        Assert.Contains(smoke.Stdout, l => l.Contains($"ConversationRelay socket at ws://{url.Authority}/voice/relay", StringComparison.Ordinal));
        Assert.Equal("All checks passed.", smoke.Stdout[^1]);
        await host.WaitForLineAsync(l => l.Contains("Rejected POST /twilio/messages: X-Twilio-Signature is missing.", StringComparison.Ordinal), "the host's line for the unsigned request");
    }

    [Fact]
    public async Task Smoke_with_the_wrong_token_fails_and_says_where_to_look()
    {
        await using var host = SampleProcess.Start();
        var url = await host.WaitForSimulatorUrlAsync();

        await using var smoke = SampleProcess.Command("smoke", url.AbsoluteUri, "--InCallMessaging:Twilio:AuthToken=not-the-hosts-token");
        var exitCode = await smoke.WaitForExitAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains(smoke.Stdout, l => l.Contains("POST /voice/incoming, signed", StringComparison.Ordinal) && l.EndsWith("-> 403 FAILED, expected 200", StringComparison.Ordinal));
        Assert.Contains(smoke.Stdout, l => l.Contains("X-Twilio-Signature does not match", StringComparison.Ordinal) && l.Contains("PublicBaseUrl", StringComparison.Ordinal));
        await host.WaitForLineAsync(l => l.Contains("Rejected POST /voice/incoming: X-Twilio-Signature does not match.", StringComparison.Ordinal), "the host's line for the bad signature");
    }
}
