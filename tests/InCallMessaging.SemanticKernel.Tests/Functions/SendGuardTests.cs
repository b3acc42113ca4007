using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>Per-call cap, duplicate suppression and opt-out.</summary>
public sealed class SendGuardTests
{
    private static Harness Start(Action<InCallMessagingOptions>? configure = null)
    {
        var options = TestRuntime.Options(TestRuntime.Summary(), TestRuntime.Otp());
        configure?.Invoke(options);
        return Harness.Start(options);
    }

    [Fact]
    public async Task Per_call_cap_blocks_the_send_after_the_limit()
    {
        var h = Start(o => o.MaxMessagesPerCall = 2);

        Assert.Equal("sent", (await h.SendSummaryAsync("one")).Status());
        Assert.Equal("sent", (await h.SendOtpAsync()).Status());
        var third = await h.SendSummaryAsync("three");

        Assert.Equal("blocked", third.Status());
        Assert.Equal("message_limit", third.Reason());
        Assert.Contains("2", third.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(2, h.Loopback.SentMessages.Count);
    }

    [Fact]
    public async Task Per_call_cap_is_per_call()
    {
        var h = Start(o => o.MaxMessagesPerCall = 1);
        var other = h.Runtime.Calls.StartCall("CA2", "+442071838750", TestRuntime.Agent);

        Assert.Equal("sent", (await h.SendSummaryAsync("one")).Status());
        Assert.Equal("sent", (await h.SendSummaryAsync("one", h.KernelFor(other))).Status());
        Assert.Equal("message_limit", (await h.SendSummaryAsync("two")).Reason());
    }

    [Fact]
    public async Task Identical_text_to_the_same_recipient_within_the_window_is_suppressed()
    {
        var h = Start();

        Assert.Equal("sent", (await h.SendSummaryAsync("See you Friday.")).Status());
        h.Time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        var again = await h.SendSummaryAsync("See you Friday.");

        Assert.Equal("blocked", again.Status());
        Assert.Equal("duplicate", again.Reason());
        Assert.Single(h.Loopback.SentMessages);
        Assert.Equal("sent", (await h.SendSummaryAsync("See you Saturday.")).Status());
    }

    [Fact]
    public async Task Identical_text_is_allowed_again_after_the_window()
    {
        var h = Start();
        await h.SendSummaryAsync("See you Friday.");

        h.Time.Advance(TimeSpan.FromMinutes(2));
        var again = await h.SendSummaryAsync("See you Friday.");

        Assert.Equal("sent", again.Status());
        Assert.Equal(2, h.Loopback.SentMessages.Count);
    }

    [Fact]
    public async Task Suppressed_duplicate_does_not_consume_the_cap()
    {
        var h = Start(o => o.MaxMessagesPerCall = 2);
        await h.SendSummaryAsync("same");
        Assert.Equal("duplicate", (await h.SendSummaryAsync("same")).Reason());

        Assert.Equal("sent", (await h.SendSummaryAsync("different")).Status());
    }

    [Fact]
    public async Task Zero_window_turns_duplicate_suppression_off()
    {
        var h = Start(o => o.DuplicateSuppressionWindow = TimeSpan.Zero);

        await h.SendSummaryAsync("same");
        Assert.Equal("sent", (await h.SendSummaryAsync("same")).Status());
    }

    [Fact]
    public async Task Failed_send_does_not_consume_the_cap_or_the_duplicate_window()
    {
        var h = Start(o => o.MaxMessagesPerCall = 1);
        var fail = true;
        h.Loopback.Responder = _ => fail ? SendResult.Failed(SendFailureReason.ProviderUnavailable, "down") : null;

        var failed = await h.SendSummaryAsync("See you Friday.");
        fail = false;
        var retried = await h.SendSummaryAsync("See you Friday.");
        var third = await h.SendSummaryAsync("Another one.");

        Assert.Equal("failed", failed.Status());
        Assert.Equal("provider_unavailable", failed.Reason());
        Assert.Equal("down", failed.Str("detail"));
        Assert.Equal("sent", retried.Status());
        Assert.Equal("message_limit", third.Reason());
        Assert.Single(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Provider_that_throws_becomes_a_failed_result()
    {
        var h = Start();
        h.Loopback.Responder = _ => throw new InvalidOperationException("boom");

        var result = await h.SendSummaryAsync("Hello");

        Assert.Equal("failed", result.Status());
        Assert.Equal("provider_unavailable", result.Reason());
        Assert.Empty(h.Session.Messages);
    }

    [Fact]
    public async Task Stop_reply_blocks_the_next_send_and_start_reenables_it()
    {
        var h = Start();
        await h.SendSummaryAsync("Your table is booked.");
        var first = h.Loopback.SentMessages[0];

        await h.Loopback.ReplyAsync(first, "STOP");
        var blocked = await h.SendSummaryAsync("Reminder: 7pm.");

        Assert.Equal("blocked", blocked.Status());
        Assert.Equal("opted_out", blocked.Reason());
        Assert.Single(h.Loopback.SentMessages);

        await h.Loopback.ReplyAsync(first, "start");
        var allowed = await h.SendSummaryAsync("Reminder: 7pm.");

        Assert.Equal("sent", allowed.Status());
        Assert.Equal(2, h.Loopback.SentMessages.Count);
    }

    [Fact]
    public async Task Provider_opt_out_classification_through_the_hub_blocks_the_next_send()
    {
        var h = Start();
        await h.SendSummaryAsync("Your table is booked.");

        await h.Hub.DeliverAsync(Harness.Inbound("please no more") with { OptOutType = "STOP" });

        Assert.Equal("opted_out", (await h.SendSummaryAsync("Reminder")).Reason());
    }

    [Fact]
    public async Task Opt_out_is_per_sender()
    {
        var whatsapp = new InCallMessageAction
        {
            Name = "send_whatsapp",
            Description = "Send on WhatsApp.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Template = new WhatsAppTemplate { TemplateId = "HX0123456789abcdef0123456789abcdef" },
        };
        var h = Harness.Start(TestRuntime.Summary(), whatsapp);
        await h.SendSummaryAsync("Booked.");
        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "STOP");

        Assert.Equal("sent", (await h.InvokeAsync("send_whatsapp")).Status());
    }

    [Fact]
    public async Task Provider_reporting_opted_out_records_the_opt_out()
    {
        var h = Start();
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.OptedOut, "The caller opted out.", "21610");

        var failed = await h.SendSummaryAsync("one");
        h.Loopback.Responder = null;
        var next = await h.SendSummaryAsync("two");

        Assert.Equal("opted_out", failed.Reason());
        Assert.Equal("blocked", next.Status());
        Assert.Equal("opted_out", next.Reason());
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Unknown_outcome_keeps_the_cap_slot_and_answers_the_identical_send_may_have_been_sent()
    {
        var h = Start(o => o.MaxMessagesPerCall = 2);
        var attempts = new List<string?>();
        h.Loopback.Responder = m =>
        {
            attempts.Add(m.Body);
            return attempts.Count == 1 ? SendResult.OutcomeUnknown(SendFailureReason.Timeout, "no answer") : null;
        };

        var first = await h.SendSummaryAsync("See you Friday.");
        var again = await h.SendSummaryAsync("See you Friday.");
        var other = await h.SendSummaryAsync("Another one.");
        var third = await h.SendSummaryAsync("A third.");

        Assert.Equal(("failed", "timeout"), (first.Status(), first.Reason()));
        Assert.Equal(("blocked", "may_have_been_sent"), (again.Status(), again.Reason()));
        Assert.Contains("Ask the caller whether they received it", again.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("sent", other.Status());
        Assert.Equal("message_limit", third.Reason());
        Assert.Equal(["See you Friday.", "Another one."], attempts);
        Assert.Equal(CallMessage.UnknownStatus, h.Session.Messages[0].Status);
    }

    [Fact]
    public async Task Failed_status_for_an_unknown_outcome_releases_its_slot_and_the_same_text_may_go_again()
    {
        var h = Start(o => o.MaxMessagesPerCall = 1);
        string? reference = null;
        h.Loopback.Responder = m =>
        {
            if (reference is not null)
            {
                return null;
            }

            reference = m.ClientReference;
            return SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, "500");
        };

        await h.SendSummaryAsync("See you Friday.");
        var blocked = await h.SendSummaryAsync("See you Friday.");

        // Twilio names the message in its status callback, with the reference carried on the callback URL.
        var applied = await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate
        {
            MessageId = "SM0123456789abcdef0123456789abcdef",
            Status = "failed",
            ErrorCode = "30003",
            ClientReference = reference,
        });
        var resent = await h.SendSummaryAsync("See you Friday.");

        Assert.Equal("may_have_been_sent", blocked.Reason());
        Assert.Equal(StatusUpdateOutcome.Applied, applied);
        Assert.Equal("sent", resent.Status());
        var settled = h.Session.Messages[0];
        Assert.Equal(("SM0123456789abcdef0123456789abcdef", "failed", "30003"), (settled.MessageId, settled.Status, settled.ErrorCode));
        Assert.Single(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Delivered_status_for_an_unknown_outcome_turns_it_into_a_plain_duplicate()
    {
        var h = Start();
        string? reference = null;
        h.Loopback.Responder = m =>
        {
            reference ??= m.ClientReference;
            return reference == m.ClientReference ? SendResult.OutcomeUnknown(SendFailureReason.Timeout, "no answer") : null;
        };

        await h.SendSummaryAsync("See you Friday.");
        await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = "SM0123456789abcdef0123456789abcdee", Status = "delivered", ClientReference = reference });
        var again = await h.SendSummaryAsync("See you Friday.");

        Assert.Equal("delivered", h.Session.Messages[0].Status);
        Assert.Equal(("blocked", "duplicate"), (again.Status(), again.Reason()));
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Failed_status_of_a_sent_message_releases_its_slot_once()
    {
        var h = Start(o => o.MaxMessagesPerCall = 1);
        await h.SendSummaryAsync("See you Friday.");
        var id = h.Loopback.SentMessages[0].MessageId;

        await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = id, Status = "undelivered", ErrorCode = "30003" });
        await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = id, Status = "failed", ErrorCode = "30003" });
        var resent = await h.SendSummaryAsync("See you Friday.");
        var capped = await h.SendSummaryAsync("Something else.");

        Assert.Equal("sent", resent.Status());
        Assert.Equal("message_limit", capped.Reason());
    }
}
