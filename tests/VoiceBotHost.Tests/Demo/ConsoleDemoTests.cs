using VoiceBotHost.Demo;
using VoiceBotHost.Tests.TestSupport;

namespace VoiceBotHost.Tests.Demo;

public sealed class ConsoleDemoTests
{
    [Fact]
    public async Task The_demo_runs_one_call_end_to_end_and_exits_zero()
    {
        using var transcript = new StringWriter();
        // A database of its own: the sample's default file in the build output outlives the run and is shared.
        var database = Path.Combine(Path.GetTempPath(), $"voicebot-demo-{Guid.NewGuid():N}.db");

        var exitCode = await ConsoleDemo.RunAsync(transcript, builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["ConnectionStrings:InCallMessaging"] = $"Data Source={database}" }));
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            File.Delete(file);
        }

        var text = transcript.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Contains("Agent  : Sure, take your time.", text, StringComparison.Ordinal);
        Assert.Contains("Agent  : Your text just came in. Thanks, you're verified.", text, StringComparison.Ordinal);
        Assert.Contains("POST /twilio/messages -> 200", text, StringComparison.Ordinal);
        // What the model sees, in order: the call with no code, the wait stepping aside, the texted line, the server's verdict.
        var lines = text.Split('\n').Select(l => l.Trim()).ToList();
        int IndexOf(string start) => lines.FindIndex(l => l.StartsWith(start, StringComparison.Ordinal));
        var sendCall = IndexOf("model | tool call    messaging-send_otp {}");
        var waiting = IndexOf("model | tool result  {\"status\":\"waiting\"");
        var texted = IndexOf("[Caller texts back");
        var replyLine = IndexOf("model | history +    [SMS Reply]: ");
        var check = IndexOf("model | tool call    verification-check_code");
        var verdict = IndexOf("model | tool result  {\"status\":\"verified\"");
        var answer = IndexOf("Agent  : Your text just came in.");
        Assert.True(sendCall >= 0 && sendCall < waiting && waiting < texted && texted < replyLine && replyLine < check && check < verdict && verdict < answer, text);
        Assert.Contains("Caller hung up; the call session ended.", text, StringComparison.Ordinal);
        // After the hang-up, the model's look back over the call texts the confirmation of the visit booked on it.
        var hungUp = IndexOf("[Caller hung up;");
        var afterCallCall = IndexOf("model | tool call    messaging-send_booking_confirmation {}");
        var afterCallText = IndexOf("[SMS to +14155550123 after the call: \"Acme: your technician visit is booked for ");
        Assert.True(hungUp >= 0 && hungUp < afterCallCall && afterCallCall < afterCallText, text);
        Assert.Single(lines, l => l.Contains("messaging-send_booking_confirmation", StringComparison.Ordinal) && l.StartsWith("model | tool call", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_demo_as_a_newcomer_runs_it_prints_no_error_warning_or_stack_trace()
    {
        await using var demo = SampleProcess.Command("demo");

        var exitCode = await demo.WaitForExitAsync(seconds: 120);

        Assert.True(exitCode == 0, demo.Output);
        Assert.StartsWith("Demo passed:", demo.Stdout.Last(l => l.Length > 0), StringComparison.Ordinal);
        var lines = demo.Stdout.Concat(demo.Stderr).ToList();
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" fail ", StringComparison.Ordinal) || l.Contains(" warn ", StringComparison.Ordinal));
    }
}
