using InCallMessaging.SemanticKernel.Sending;
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
            Template = new WhatsAppTemplate { ContentSid = "HX0123456789abcdef0123456789abcdef" },
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
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.OptedOut, "The customer opted out.", "21610");

        var failed = await h.SendSummaryAsync("one");
        h.Loopback.Responder = null;
        var next = await h.SendSummaryAsync("two");

        Assert.Equal("opted_out", failed.Reason());
        Assert.Equal("blocked", next.Status());
        Assert.Equal("opted_out", next.Reason());
        Assert.Empty(h.Loopback.SentMessages);
    }
}
