using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>
/// Late delivery outcomes reach the agent: a failure after the action returned puts one <c>[SMS Status]: ...</c> line
/// into the chat history and sets <c>sms_status</c>; a WhatsApp message refused for the closed window is replaced by
/// its approved template, once; every status reaches the host's handlers.
/// </summary>
public sealed class StatusLineTests
{
    private const string TemplateId = "HX0123456789abcdef0123456789abcdef";
    private const string WhatsAppNumber = "+14155550198";

    private sealed class RecordingStatusHandler : IMessageStatusHandler
    {
        public List<MessageStatusEvent> Events { get; } = [];

        public Task HandleStatusAsync(MessageStatusEvent status, CancellationToken cancellationToken)
        {
            lock (Events)
            {
                Events.Add(status);
            }

            return Task.CompletedTask;
        }
    }

    private static InCallMessageAction Booking(bool withTemplate) => new()
    {
        Name = "send_booking",
        Description = "Send the booking confirmation on WhatsApp.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Body = "Booking <booking_ref> is confirmed.",
        Parameters = new ActionParameters
        {
            Properties = { ["booking_ref"] = new ActionParameter { Description = "The booking reference." } },
            Required = { "booking_ref" },
        },
        Template = withTemplate ? new WhatsAppTemplate { TemplateId = TemplateId, Variables = { ["1"] = "{{ booking_ref }}" } } : null,
    };

    private static (Harness Harness, RecordingStatusHandler Handler) Start(params InCallMessageAction[] actions)
    {
        var handler = new RecordingStatusHandler();
        return (Harness.Start(TestRuntime.Options(actions), statusHandlers: [handler]), handler);
    }

    private static ValueTask<StatusUpdateOutcome> StatusAsync(Harness h, string messageId, string status, string? code = null, string? meaning = null,
        SendFailureReason? reason = null) =>
        h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = messageId, Status = status, ErrorCode = code, ErrorMessage = meaning, FailureReason = reason });

    private static List<string> Apply(Harness h)
    {
        var history = new ChatHistory();
        h.Session.ApplyPendingReplies(history);
        return [.. history.Select(m => m.Content ?? "")];
    }

    [Fact]
    public async Task Late_failure_of_a_sent_text_queues_one_line_and_sets_sms_status()
    {
        var (h, handler) = Start(TestRuntime.Summary());
        await h.SendSummaryAsync("Your table is booked.");
        var id = h.Loopback.SentMessages[0].MessageId;

        await StatusAsync(h, id, "sent");
        await StatusAsync(h, id, "undelivered", "30003", "the phone is unreachable");
        await StatusAsync(h, id, "undelivered", "30003", "the phone is unreachable");

        Assert.Equal(["[SMS Status]: the text from send_summary was not delivered (30003: the phone is unreachable)."], Apply(h));
        Assert.Equal("undelivered", h.Session.GetVariable(CallVariables.SmsStatus));
        Assert.Equal(["sent", "undelivered"], handler.Events.Select(e => e.Update.Status));
        Assert.Null(handler.Events[0].TranscriptLine);
        Assert.Equal("the text from send_summary was not delivered (30003: the phone is unreachable).", handler.Events[1].TranscriptLine);
    }

    [Fact]
    public async Task Delivered_and_read_reach_handlers_and_make_lines_only_when_the_action_asks()
    {
        var summary = TestRuntime.Summary();
        summary.StatusLines = ["delivered", "failed", "undelivered"];
        var (h, handler) = Start(summary);
        await h.SendSummaryAsync("Your table is booked.");
        var id = h.Loopback.SentMessages[0].MessageId;

        await StatusAsync(h, id, "delivered");
        await StatusAsync(h, id, "read");

        Assert.Equal(["[SMS Status]: the text from send_summary was delivered."], Apply(h));
        Assert.Equal(["delivered", "read"], handler.Events.Select(e => e.Update.Status));
        Assert.Equal("delivered", h.Session.GetVariable(CallVariables.SmsStatus));
    }

    [Fact]
    public async Task A_failure_that_ends_a_waiting_action_is_reported_by_its_result_not_by_a_line()
    {
        var (h, _) = Start(TestRuntime.Otp(wait: true));
        var waiting = h.SendOtpAsync();
        var sent = await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);

        await StatusAsync(h, sent.MessageId, "failed", "30005", "the number is unknown");
        var result = await waiting.WaitAsync(Harness.Safety);

        Assert.Equal("failed", result.Status());
        Assert.Empty(Apply(h));
    }

    [Fact]
    public async Task After_the_call_ended_no_line_is_queued_but_handlers_still_hear_it()
    {
        var (h, handler) = Start(TestRuntime.Summary());
        await h.SendSummaryAsync("Your table is booked.");
        h.Runtime.Calls.EndCall(Harness.CallId);

        await StatusAsync(h, h.Loopback.SentMessages[0].MessageId, "failed", "30008");

        Assert.False(h.Session.HasPendingReplies);
        Assert.Null(Assert.Single(handler.Events).TranscriptLine);
    }

    [Fact]
    public async Task WhatsApp_window_closed_after_the_fact_sends_the_template_once_and_says_so()
    {
        var (h, _) = Start(Booking(withTemplate: true));
        await h.Hub.DeliverAsync(Harness.Inbound("hi", to: WhatsAppNumber, channel: MessageChannel.WhatsApp));
        Assert.Equal(["[WhatsApp Reply]: hi"], Apply(h));
        await h.InvokeAsync("send_booking", new KernelArguments { ["booking_ref"] = "ab12" });
        var freeForm = Assert.Single(h.Loopback.SentMessages);
        Assert.Null(freeForm.Message.Content);

        await StatusAsync(h, freeForm.MessageId, "failed", "63016", reason: SendFailureReason.WhatsAppWindowClosed);
        await StatusAsync(h, freeForm.MessageId, "undelivered", "63016", reason: SendFailureReason.WhatsAppWindowClosed);

        Assert.Equal(2, h.Loopback.SentMessages.Count);
        var template = h.Loopback.SentMessages[1].Message;
        Assert.Equal(TemplateId, template.Content!.TemplateId);
        Assert.Equal("ab12", template.Content.Variables["1"]);
        Assert.Equal(["[WhatsApp Status]: the WhatsApp message from send_booking was not delivered as free text because the caller's 24-hour WhatsApp window had closed; its approved template was sent instead."], Apply(h));
        Assert.Equal("failed", h.Session.GetVariable(CallVariables.WhatsAppStatus));
    }

    [Fact]
    public async Task WhatsApp_window_closed_without_a_template_explains_that_only_a_template_can_reach_the_caller()
    {
        var (h, _) = Start(Booking(withTemplate: false));
        await h.Hub.DeliverAsync(Harness.Inbound("hi", to: WhatsAppNumber, channel: MessageChannel.WhatsApp));
        Assert.Equal(["[WhatsApp Reply]: hi"], Apply(h));
        await h.InvokeAsync("send_booking", new KernelArguments { ["booking_ref"] = "ab12" });

        await StatusAsync(h, h.Loopback.SentMessages[0].MessageId, "failed", "63016", "the 24-hour WhatsApp window had closed", SendFailureReason.WhatsAppWindowClosed);

        Assert.Single(h.Loopback.SentMessages);
        var line = Assert.Single(Apply(h));
        Assert.Contains("only an approved WhatsApp template can reach them now", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiting_WhatsApp_action_keeps_waiting_on_the_template_that_replaced_its_message()
    {
        var booking = Booking(withTemplate: true);
        booking.WaitForReply = true;
        var (h, _) = Start(booking);
        await h.Hub.DeliverAsync(Harness.Inbound("hi", to: WhatsAppNumber, channel: MessageChannel.WhatsApp));
        var waiting = h.InvokeAsync("send_booking", new KernelArguments { ["booking_ref"] = "ab12" });
        var freeForm = await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);

        await StatusAsync(h, freeForm.MessageId, "failed", "63016", reason: SendFailureReason.WhatsAppWindowClosed);
        var template = h.Loopback.SentMessages[1];
        await h.Loopback.ReplyAsync(template, "Thanks!");
        var result = await waiting.WaitAsync(Harness.Safety);

        Assert.Equal("replied", result.Status());
        Assert.Equal("Thanks!", result.Str("reply"));
    }

    [Fact]
    public void Unknown_status_words_are_start_up_errors()
    {
        var summary = TestRuntime.Summary();
        summary.StatusLines = ["bounced"];

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(TestRuntime.Options(summary)));

        Assert.Contains("StatusLines has 'bounced'", error.Message, StringComparison.Ordinal);
    }
}
