using VoiceBotHost.Demo;

namespace VoiceBotHost.Tests.Demo;

public sealed class ConsoleDemoTests
{
    [Fact]
    public async Task The_demo_runs_one_call_end_to_end_and_exits_zero()
    {
        using var transcript = new StringWriter();

        var exitCode = await ConsoleDemo.RunAsync(transcript);

        var text = transcript.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Matches(@"Agent  : Thanks, your code \d{6} is verified\.", text);
        Assert.Contains("POST /twilio/messages with X-Twilio-Signature -> 200", text, StringComparison.Ordinal);
        Assert.Contains("Caller hung up; the call session ended.", text, StringComparison.Ordinal);
    }
}
