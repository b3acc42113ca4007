using Microsoft.Extensions.Time.Testing;

namespace InCallMessaging.SemanticKernel.Tests.TestSupport;

/// <summary>Builds a runtime with the loopback sender and a fake clock.</summary>
internal static class TestRuntime
{
    public const string Caller = "+14155550100";
    public const string Agent = "+14155550199";

    public static InCallMessagingOptions Options(params InCallMessageAction[] actions)
    {
        var options = new InCallMessagingOptions();
        options.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = Agent };
        options.Senders["whatsapp"] = new MessageSenderOptions { Provider = "Loopback", From = "+14155550198" };
        options.Actions.AddRange(actions);
        return options;
    }

    public static InCallMessagingRuntime Create(InCallMessagingOptions options, TimeProvider? time = null,
        IEnumerable<IAfterCallReplyHandler>? afterCall = null, IEnumerable<IMessageProvider>? providers = null) =>
        InCallMessagingRuntime.Create(options, providers, timeProvider: time ?? new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)), afterCallHandlers: afterCall);

    public static InCallMessageAction Otp(bool wait = false) => new()
    {
        Name = "send_otp",
        Description = "Text the caller a one-time code when they need to verify their identity.",
        Body = "Your code is <otp_code>. It expires in 10 minutes.",
        Parameters = new ActionParameters
        {
            Properties = { ["otp_code"] = new ActionParameter { Description = "The 6-digit code to send." } },
            Required = { "otp_code" },
        },
        WaitForReply = wait,
        ReplyTimeout = TimeSpan.FromSeconds(30),
        MessageBeforeAction = "I'm texting you a code now.",
    };

    public static InCallMessageAction Summary() => new()
    {
        Name = "send_summary",
        Description = "Text the caller a summary of what was agreed on the call.",
    };
}

/// <summary>Records what was spoken into the call, in order.</summary>
internal sealed class RecordingSpeech : ICallSpeech
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public ValueTask SpeakAsync(string text, CancellationToken cancellationToken)
    {
        lock (_lines)
        {
            _lines.Add(text);
        }

        return ValueTask.CompletedTask;
    }
}
