using System.Text.Json;
using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>A STOP (or another opt-out keyword) that answers a waiting action is an opt-out, not a reply.</summary>
public sealed class OptOutReplyTests
{
    private static Harness Start() => Harness.Start(TestRuntime.Otp(wait: true), TestRuntime.Summary());

    private static async Task<(Task<JsonElement> Pending, LoopbackMessage Sent)> StartWaitAsync(Harness h)
    {
        var pending = h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "123456" });
        var sent = await h.Loopback.WaitForMessageAsync(cancellationToken: CancellationToken.None).WaitAsync(Harness.Safety);
        Assert.True(h.Session.IsWaitingForReply);
        return (pending, sent);
    }

    private static List<string?> Transcript(CallSession session)
    {
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        return [.. history.Select(m => m.Content)];
    }

    [Fact]
    public async Task STOP_answering_a_waiting_action_returns_opted_out_and_the_model_still_sees_it()
    {
        var h = Start();
        var (pending, sent) = await StartWaitAsync(h);

        var outcome = await h.Loopback.ReplyAsync(sent, "STOP");
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, outcome);
        Assert.Equal("blocked", result.Status());
        Assert.Equal("opted_out", result.Reason());
        Assert.Equal(sent.MessageId, result.Str("message_id"));
        Assert.False(result.TryGetProperty("reply", out _));
        Assert.Contains("continue by voice", result.Str("detail"), StringComparison.Ordinal);
        Assert.Contains("texting START to this number turns texts back on", result.Str("detail"), StringComparison.Ordinal);
        Assert.False(h.Session.IsWaitingForReply);

        // Not an answer: no variable. Still a text the caller sent: recorded, and one line for the model.
        Assert.Null(h.Session.GetVariable("sms_reply"));
        Assert.Contains(h.Session.Messages, m => m.Direction == MessageDirection.Inbound && m.Text == "STOP");
        Assert.Equal(["[SMS Reply]: STOP"], Transcript(h.Session));

        var again = await h.SendOtpAsync();
        Assert.Equal("blocked", again.Status());
        Assert.Equal("opted_out", again.Reason());
    }

    [Theory]
    [InlineData("stop")]
    [InlineData(" Unsubscribe. ")]
    [InlineData("QUIT!")]
    [InlineData("cancel")]
    [InlineData("END")]
    [InlineData("STOPALL")]
    [InlineData("S\u200BTOP")]      // a zero-width space does not hide the keyword
    [InlineData("\u202ESTOP\u202C")] // nor do bidirectional controls
    public async Task Every_opt_out_keyword_ends_the_wait_as_opted_out(string text)
    {
        var h = Start();
        var (pending, _) = await StartWaitAsync(h);

        await h.Hub.DeliverAsync(Harness.Inbound(text));
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("blocked", result.Status());
        Assert.Equal("opted_out", result.Reason());
    }

    [Fact]
    public async Task Provider_opt_out_flag_on_a_longer_text_ends_the_wait_as_opted_out()
    {
        var h = Start();
        var (pending, _) = await StartWaitAsync(h);

        await h.Hub.DeliverAsync(Harness.Inbound("please stop texting me") with { OptOutType = "STOP" });
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("opted_out", result.Reason());
        Assert.Equal(["[SMS Reply]: please stop texting me"], Transcript(h.Session));
    }

    [Fact]
    public async Task STOP_without_a_waiting_action_is_recorded_but_does_not_become_the_reply_variable()
    {
        var h = Start();
        await h.SendSummaryAsync("Your table is booked.");
        await h.Hub.DeliverAsync(Harness.Inbound("it works"));

        await h.Hub.DeliverAsync(Harness.Inbound("STOP"));

        Assert.Equal("it works", h.Session.GetVariable("sms_reply"));
        Assert.Equal(["[SMS Reply]: it works", "[SMS Reply]: STOP"], Transcript(h.Session));
    }

    [Fact]
    public async Task A_text_that_merely_mentions_stop_is_a_reply()
    {
        var h = Start();
        var (pending, _) = await StartWaitAsync(h);

        await h.Hub.DeliverAsync(Harness.Inbound("stop by at 5? code 123456"));
        var result = await pending.WaitAsync(Harness.Safety);

        Assert.Equal("replied", result.Status());
        Assert.Equal("stop by at 5? code 123456", result.Str("reply"));
    }
}
