using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>
/// What the caller hears around a send: <c>MessageBeforeAction</c> only once the checks pass, <c>MessageOnFailure</c>
/// when the send fails or is blocked, <c>MessageOnDelay</c> once when the provider is slow. The model still gets the JSON.
/// </summary>
public sealed class SpokenLinesTests
{
    private const string Before = "Texting you the receipt now, Ann.";
    private const string Failure = "Sorry Ann, I couldn't text you the receipt.";
    private const string Delay = "It's taking a moment to go through.";

    private static InCallMessageAction Receipt(string sender = "default") => new()
    {
        Name = "send_receipt",
        Description = "Text the caller their receipt.",
        Sender = sender,
        Body = "Receipt <receipt_id>: thank you, <user_name>.",
        ToPhoneNumber = "{{ to ?? user_phone_number }}",
        Parameters = new ActionParameters
        {
            Properties =
            {
                ["receipt_id"] = new ActionParameter { Description = "The receipt number.", Pattern = "^R[0-9]+$" },
                ["to"] = new ActionParameter { Description = "Another number to text, with country code." },
            },
            Required = { "receipt_id" },
        },
        MessageBeforeAction = "Texting you the receipt now, <user_name>.",
        MessageOnFailure = "Sorry <user_name>, I couldn't text you the receipt.",
        MessageOnDelay = Delay,
    };

    private static Harness Start(InCallMessageAction action, Action<InCallMessagingOptions>? configure = null, IMessageProvider? provider = null)
    {
        var options = TestRuntime.Options(action);
        options.Variables.Add("user_name");
        if (provider is not null)
        {
            options.Senders["gated"] = new MessageSenderOptions { Provider = provider.Name, From = TestRuntime.Agent };
        }

        configure?.Invoke(options);
        return Harness.Start(options, metadata: new Dictionary<string, string> { ["user_name"] = "Ann" },
            providers: provider is null ? null : [provider]);
    }

    private static Task<System.Text.Json.JsonElement> SendAsync(Harness h, string receiptId = "R42", string? to = null)
    {
        var arguments = new KernelArguments { ["receipt_id"] = receiptId };
        if (to is not null)
        {
            arguments["to"] = to;
        }

        return h.InvokeAsync("send_receipt", arguments);
    }

    private static List<string> LinesAfter(Harness h, int count) => [.. h.Speech.Lines.Skip(count)];

    [Fact]
    public async Task A_sent_message_speaks_the_rendered_before_line_only()
    {
        var h = Start(Receipt());

        var result = await SendAsync(h);

        Assert.Equal("sent", result.Status());
        Assert.Equal([Before], h.Speech.Lines);
    }

    [Fact]
    public async Task A_failed_send_speaks_the_before_line_then_the_failure_line_and_the_model_still_gets_the_reason()
    {
        var h = Start(Receipt());
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.NotMobile, "The number is a landline.", "21614");

        var result = await SendAsync(h);

        Assert.Equal(("failed", "not_mobile"), (result.Status(), result.Reason()));
        Assert.Equal([Before, Failure], h.Speech.Lines);
        Assert.DoesNotContain(h.Speech.Lines, line => line.Contains("not_mobile", StringComparison.Ordinal) || line.Contains("21614", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Opted_out_caller_hears_only_the_failure_line()
    {
        var h = Start(Receipt());
        await h.Hub.DeliverAsync(Harness.Inbound("STOP"));

        var result = await SendAsync(h);

        Assert.Equal(("blocked", "opted_out"), (result.Status(), result.Reason()));
        Assert.Equal([Failure], h.Speech.Lines);
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Duplicate_send_says_nothing_misleading_only_the_failure_line()
    {
        var h = Start(Receipt());
        await SendAsync(h);
        var spoken = h.Speech.Lines.Count;

        var result = await SendAsync(h);

        Assert.Equal(("blocked", "duplicate"), (result.Status(), result.Reason()));
        Assert.Equal([Failure], LinesAfter(h, spoken));
        Assert.Single(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Message_limit_says_only_the_failure_line()
    {
        var h = Start(Receipt(), o => o.MaxMessagesPerCall = 1);
        await SendAsync(h, "R1");
        var spoken = h.Speech.Lines.Count;

        var result = await SendAsync(h, "R2");

        Assert.Equal(("blocked", "message_limit"), (result.Status(), result.Reason()));
        Assert.Equal([Failure], LinesAfter(h, spoken));
    }

    [Fact]
    public async Task Recipient_not_allowed_says_only_the_failure_line()
    {
        var h = Start(Receipt());

        var result = await SendAsync(h, to: "+33612345678");

        Assert.Equal(("blocked", "recipient_not_allowed"), (result.Status(), result.Reason()));
        Assert.Equal([Failure], h.Speech.Lines);
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Missing_or_invalid_arguments_say_nothing_so_the_model_can_ask_the_caller()
    {
        var h = Start(Receipt());

        var missing = await h.InvokeAsync("send_receipt", []);
        var invalid = await SendAsync(h, "42");

        Assert.Equal("missing_values", missing.Status());
        Assert.Equal("invalid_arguments", invalid.Status());
        Assert.Empty(h.Speech.Lines);
    }

    [Fact]
    public async Task A_call_variable_only_a_spoken_line_reads_never_holds_up_the_send_its_line_is_skipped()
    {
        var action = Receipt();
        action.Body = "Your receipt is <receipt_id>.";
        action.MessageBeforeAction = "Texting it to you now, <nickname>.";
        action.MessageOnFailure = "Sorry <nickname>, that didn't go through.";
        var h = Start(action, o => o.Variables.Add("nickname"));
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.ProviderUnavailable, "down");

        var failed = await SendAsync(h, "R1");
        h.Loopback.Responder = null;
        h.Session.SetVariable("nickname", "Annie");
        var sent = await SendAsync(h, "R2");

        Assert.Equal("failed", failed.Status());
        Assert.Equal("sent", sent.Status());
        Assert.Equal(["Texting it to you now, Annie."], h.Speech.Lines);
    }

    [Fact]
    public async Task A_spoken_line_can_use_a_parameter_the_body_does_not()
    {
        var action = Receipt();
        action.MessageBeforeAction = "Texting receipt {{ receipt_id | string.slice 1 }} now.";
        action.Body = "Your receipt is attached.";
        var h = Start(action);

        await SendAsync(h, "R77");

        Assert.Equal(["Texting receipt 77 now."], h.Speech.Lines);
    }

    [Fact]
    public async Task A_slow_provider_gets_the_delay_line_once_at_the_threshold_and_the_send_goes_on()
    {
        var provider = new GatedProvider();
        var h = Start(Receipt("gated"), provider: provider);
        var speech = new AwaitableSpeech();
        h.Session.Speech = speech;

        var pending = SendAsync(h);
        await provider.Started.Task.WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(1));
        Assert.Equal([Before], speech.Lines);

        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        await speech.WaitForLinesAsync(2).WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromSeconds(10));
        provider.Answer.SetResult(SendResult.Sent("SM" + new string('a', 32)));
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("sent", result.Status());
        Assert.Equal([Before, Delay], speech.Lines);
        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public async Task A_provider_that_answers_before_the_threshold_gets_no_delay_line()
    {
        var provider = new GatedProvider();
        var action = Receipt("gated");
        action.DelayThreshold = TimeSpan.FromMilliseconds(500);
        var h = Start(action, provider: provider);

        var pending = SendAsync(h);
        await provider.Started.Task.WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromMilliseconds(499));
        provider.Answer.SetResult(SendResult.Sent("SM" + new string('b', 32)));
        var result = await pending.WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal("sent", result.Status());
        Assert.Equal([Before], h.Speech.Lines);
    }

    [Fact]
    public async Task A_slow_send_that_then_fails_speaks_before_delay_and_failure_in_that_order()
    {
        var provider = new GatedProvider();
        var action = Receipt("gated");
        action.DelayThreshold = TimeSpan.FromMilliseconds(100);
        var h = Start(action, provider: provider);
        var speech = new AwaitableSpeech();
        h.Session.Speech = speech;

        var pending = SendAsync(h);
        await provider.Started.Task.WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromMilliseconds(100));
        await speech.WaitForLinesAsync(2).WaitAsync(Harness.Safety);
        provider.Answer.SetResult(SendResult.Failed(SendFailureReason.Rejected, "Twilio rejected the request."));
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("failed", result.Status());
        Assert.Equal([Before, Delay, Failure], speech.Lines);
    }

    [Fact]
    public async Task Without_a_delay_line_a_slow_provider_is_simply_awaited()
    {
        var provider = new GatedProvider();
        var action = Receipt("gated");
        action.MessageOnDelay = null;
        var h = Start(action, provider: provider);

        var pending = SendAsync(h);
        await provider.Started.Task.WaitAsync(Harness.Safety);
        h.Time.Advance(TimeSpan.FromSeconds(30));
        provider.Answer.SetResult(SendResult.Sent("SM" + new string('c', 32)));

        Assert.Equal("sent", (await pending.WaitAsync(Harness.Safety)).Status());
        Assert.Equal([Before], h.Speech.Lines);
    }

    /// <summary>Records spoken lines and lets a test await the n-th one.</summary>
    private sealed class AwaitableSpeech : ICallSpeech
    {
        private readonly List<string> _lines = [];
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

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

        public Task WaitForLinesAsync(int count)
        {
            lock (_lines)
            {
                if (_lines.Count >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task;
            }
        }

        public ValueTask SpeakAsync(string text, CancellationToken cancellationToken)
        {
            lock (_lines)
            {
                _lines.Add(text);
                foreach (var waiter in _waiters.Where(w => _lines.Count >= w.Count))
                {
                    waiter.Reached.TrySetResult();
                }
            }

            return ValueTask.CompletedTask;
        }
    }
}
