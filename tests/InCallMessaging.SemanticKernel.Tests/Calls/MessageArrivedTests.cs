using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Calls;

/// <summary>
/// The hook a host uses to start a turn when a text arrives: <see cref="CallSession.MessageArrived"/> fires for a reply
/// or a status that reached a live call, after it took effect, saying whether a waiting action took it.
/// </summary>
public sealed class MessageArrivedTests
{
    private static List<CallMessageEventArgs> Listen(CallSession session)
    {
        var events = new List<CallMessageEventArgs>();
        session.MessageArrived += (sender, arrived) =>
        {
            Assert.Same(session, sender);

            // It fires after the reply took effect: the line is already waiting for the chat history.
            Assert.True(arrived.TranscriptLine is null || session.HasPendingReplies);
            events.Add(arrived);
        };
        return events;
    }

    [Fact]
    public async Task A_reply_to_a_quiet_call_fires_with_its_transcript_line()
    {
        var h = Harness.Start(TestRuntime.Summary());
        var events = Listen(h.Session);
        await h.SendSummaryAsync("Any questions?");

        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "Is parking free?");

        var arrived = Assert.Single(events);
        Assert.False(arrived.IsStatus);
        Assert.False(arrived.ResumedWait);
        Assert.Equal("[SMS Reply]: Is parking free?", arrived.TranscriptLine);
        Assert.Equal(MessageDirection.Inbound, arrived.Message.Direction);
        Assert.Equal("Is parking free?", arrived.Message.Text);
    }

    [Fact]
    public async Task A_reply_that_resumes_a_waiting_action_says_so()
    {
        var h = Harness.Start(TestRuntime.Otp(wait: true));
        var events = Listen(h.Session);
        var waiting = h.SendOtpAsync();
        var sent = await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);
        using (var timeout = new CancellationTokenSource(Harness.Safety))
        {
            while (!h.Session.IsWaitingForReply)
            {
                await Task.Delay(5, timeout.Token);
            }
        }

        await h.Loopback.ReplyAsync(sent, "123456");
        await waiting.WaitAsync(Harness.Safety);

        Assert.True(Assert.Single(events).ResumedWait);
    }

    [Fact]
    public async Task A_late_failure_fires_with_its_status_line()
    {
        var h = Harness.Start(TestRuntime.Summary());
        var events = Listen(h.Session);
        await h.SendSummaryAsync("See you Friday.");
        var id = h.Loopback.SentMessages[0].MessageId;

        await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = id, Status = "sent" });
        await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = id, Status = "failed", ErrorCode = "30003" });

        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.True(e.IsStatus));
        Assert.Null(events[0].TranscriptLine);
        Assert.Equal("[SMS Status]: the text from send_summary was not delivered (error 30003).", events[1].TranscriptLine);
        Assert.Equal(id, events[1].Message.MessageId);
    }

    [Fact]
    public async Task A_handler_that_throws_does_not_stop_the_delivery_or_the_other_handlers()
    {
        var h = Harness.Start(TestRuntime.Summary());
        h.Session.MessageArrived += (_, _) => throw new InvalidOperationException("host bug");
        var events = Listen(h.Session);
        await h.SendSummaryAsync("Any questions?");

        var outcome = await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "No, thanks.");

        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, outcome);
        Assert.Single(events);
        Assert.Equal("No, thanks.", h.Session.GetVariable(CallVariables.SmsReply));
    }

    [Fact]
    public async Task Nothing_fires_after_the_call_ended()
    {
        var h = Harness.Start(TestRuntime.Summary());
        var events = Listen(h.Session);
        await h.SendSummaryAsync("Any questions?");
        h.Runtime.Calls.EndCall(Harness.CallId);

        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "Late reply.");

        Assert.Empty(events);
    }
}
