using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// The race at call start: the owner's claim on its call is written to Redis behind the call's start (the router's
/// write queue), while the call's sent message reaches the shared message log by another path; a reply posted to
/// another instance in between names a call no instance has claimed yet. It is parked, and delivered into the call when
/// the claim lands (or, if no claim lands in time, through the after-call path), exactly once. A real redis-server and
/// two in-process instances; the owner's claim is held back by pausing its router's writes. Every wait has a generous
/// safety timeout; nothing asserts on timing.
/// </summary>
public sealed class RedisReplyRouterParkingTests(RedisServerFixture redis) : RoutingTests(redis)
{
    [Fact]
    public async Task A_reply_that_beats_its_calls_claim_is_parked_and_reaches_the_waiting_action_when_the_claim_lands()
    {
        var a = await Instances.StartAsync("A");
        var b = await Instances.StartAsync("B");
        a.Router.PauseWrites();
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await WaitForLoggedAsync(a);
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "call:CA1:owner"));

        // Twilio names no replied-to message: the conversation's route is not written yet either; its log entry is.
        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "it is 123456");
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(reply));
        Assert.Equal(1, await Database.ListLengthAsync(Instances.Prefix + "parked:call:CA1"));
        Assert.Equal(ReplyDeliveryOutcome.Duplicate, await b.Runtime.Replies.DeliverAsync(reply));
        Assert.False(invocation.IsCompleted);

        a.Router.ResumeWrites();

        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"replied\"", result, StringComparison.Ordinal);
        Assert.Contains("it is 123456", result, StringComparison.Ordinal);
        await WaitUntilAsync(async () => await Database.StreamLengthAsync(Instances.Prefix + "inbox:A") == 0);
        Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound && m.MessageId == reply.MessageId);
        Assert.NotEqual(sent.MessageId, reply.MessageId);
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "parked:call:CA1"));
        Assert.Null(await Database.SortedSetScoreAsync(Instances.Prefix + "parked-calls", "CA1"));
        Assert.Empty(a.AfterCall.Replies);
        Assert.Empty(b.AfterCall.Replies);
    }

    [Fact]
    public async Task Replies_racing_the_claim_from_both_sides_each_reach_the_call_exactly_once()
    {
        var a = await Instances.StartAsync("A");
        var b = await Instances.StartAsync("B");
        a.Router.PauseWrites();
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        var sent = await WaitForLoggedAsync(a);

        // Some replies are parked before the claim lands, the rest race it (each hand-off lands wholly before or after
        // the claim script); half name the replied-to message (its log entry), half only the conversation.
        var replies = Enumerable.Range(0, 30)
            .Select(n => RoutedInstance.Reply(RoutedInstance.NewSid(), "reply " + n, inReplyTo: n % 2 == 0 ? sent.MessageId : null))
            .ToArray();
        var early = await Task.WhenAll(replies[..10].Select(r => b.Runtime.Replies.DeliverAsync(r).AsTask()));
        var racing = replies[10..].Select(r => Task.Run(async () => await b.Runtime.Replies.DeliverAsync(r))).ToArray();
        a.Router.ResumeWrites();
        var late = await Task.WhenAll(racing);

        Assert.All(early.Concat(late), outcome => Assert.Equal(ReplyDeliveryOutcome.HandedOff, outcome));
        await WaitUntilAsync(() => Task.FromResult(session.Messages.Count(m => m.Direction == MessageDirection.Inbound) >= replies.Length));
        await WaitUntilAsync(async () => await Database.StreamLengthAsync(Instances.Prefix + "inbox:A") == 0);
        foreach (var reply in replies)
        {
            Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound && m.MessageId == reply.MessageId);
        }

        Assert.Equal(replies.Length, session.RepliesReceived);
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "parked:call:CA1"));
        Assert.Empty(a.AfterCall.Replies);
        Assert.Empty(b.AfterCall.Replies);
    }

    [Fact]
    public async Task A_parked_reply_whose_call_is_never_claimed_takes_the_after_call_path_once_after_the_timeout()
    {
        var a = await Instances.StartAsync("A");
        var b = await Instances.StartAsync("B", configure: services =>
            services.Configure<RedisRoutingOptions>(options => options.ParkedReplyTimeout = TimeSpan.FromSeconds(1)));
        a.Router.PauseWrites();
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        await WaitForLoggedAsync(a);

        // A hangs before its claim lands: no claim, no renewal, no sweeping of its own.
        await a.Router.HaltAsync();
        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "thanks");
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(reply));
        Assert.Equal(1, await Database.ListLengthAsync(Instances.Prefix + "parked:call:CA1"));

        await WaitUntilAsync(() => Task.FromResult(!b.AfterCall.Replies.IsEmpty));
        await WaitUntilAsync(async () => await Database.StreamLengthAsync(Instances.Prefix + "inbox:B") == 0);
        var (callId, handled) = Assert.Single(b.AfterCall.Replies);
        Assert.Equal("CA1", callId);
        Assert.Equal(reply.MessageId, handled.MessageId);
        Assert.Equal(0, await b.Router.SweepParkedAsync(CancellationToken.None));
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "parked:call:CA1"));
        Assert.Equal(ReplyDeliveryOutcome.Duplicate, await b.Runtime.Replies.DeliverAsync(reply));
        Assert.Single(b.AfterCall.Replies);
        Assert.DoesNotContain(session.Messages, m => m.Direction == MessageDirection.Inbound);
    }

    [Fact]
    public async Task A_reply_parked_for_a_call_that_then_ends_takes_the_after_call_path_and_later_replies_are_not_parked()
    {
        var a = await Instances.StartAsync("A");
        var b = await Instances.StartAsync("B");
        a.Router.PauseWrites();
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        await WaitForLoggedAsync(a);
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "early")));
        a.Runtime.Calls.EndCall("CA1");
        a.Router.ResumeWrites();
        await a.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);

        // The reply parked while the call lived reached the call's instance, which found it ended: its after-call path.
        await WaitUntilAsync(() => Task.FromResult(!a.AfterCall.Replies.IsEmpty));
        var late = RoutedInstance.Reply(RoutedInstance.NewSid(), "late");
        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, await b.Runtime.Replies.DeliverAsync(late));

        Assert.Equal("early", Assert.Single(a.AfterCall.Replies).Reply.Text);
        Assert.Equal(late.MessageId, Assert.Single(b.AfterCall.Replies).Reply.MessageId);
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "parked:call:CA1"));
    }

    [Fact]
    public async Task Only_a_call_logged_within_a_day_and_never_claimed_is_waited_for()
    {
        var b = await Instances.StartAsync("B");
        const string recentCaller = "+14155550101", oldCaller = "+14155550102";
        await b.Store.TryAddAsync(Sent("SMrecent", "CArecent", recentCaller, DateTimeOffset.UtcNow));
        await b.Store.TryAddAsync(Sent("SMold", "CAold", oldCaller, DateTimeOffset.UtcNow - TimeSpan.FromDays(2)));

        var toRecent = RoutedInstance.Reply(RoutedInstance.NewSid(), "yes", inReplyTo: "SMrecent") with { From = recentCaller };
        var toOld = RoutedInstance.Reply(RoutedInstance.NewSid(), "yes", inReplyTo: "SMold") with { From = oldCaller };

        Assert.Equal(RouteResult.HandedOff, await b.Router.RouteInboundAsync(toRecent, Conversation(recentCaller), CancellationToken.None));
        Assert.Equal(RouteResult.NotRouted, await b.Router.RouteInboundAsync(toOld, Conversation(oldCaller), CancellationToken.None));
        Assert.Equal(1, await Database.ListLengthAsync(Instances.Prefix + "parked:call:CArecent"));
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "parked:call:CAold"));
        Assert.NotNull(await Database.SortedSetScoreAsync(Instances.Prefix + "parked-calls", "CArecent"));

        static CallerConversation Conversation(string caller) => new(MessageChannel.Sms, CallerKeys.Of(caller), RoutedInstance.Agent);
    }

    private static LoggedMessage Sent(string messageId, string callId, string caller, DateTimeOffset at) => new()
    {
        MessageId = messageId,
        Direction = MessageDirection.Outbound,
        Channel = MessageChannel.Sms,
        CallId = callId,
        ActionName = "send_summary",
        SenderName = "default",
        SenderIdentity = RoutedInstance.Agent,
        CallerKey = CallerKeys.Of(caller),
        Caller = caller,
        ContentHash = "0123456789abcdef0123456789abcdef",
        CreatedAt = at,
        Status = "sent",
    };

    /// <summary>Waits for the text the loopback sent and for its entry in the shared message log (written apart from the router's queue).</summary>
    private async Task<LoopbackMessage> WaitForLoggedAsync(RoutedInstance owner)
    {
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        var sent = await owner.Runtime.Loopback!.WaitForMessageAsync(cancellationToken: patience.Token);
        await WaitUntilAsync(async () => await Database.KeyExistsAsync(Instances.Prefix + "msg:o:" + sent.MessageId));
        return sent;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        while (!await condition())
        {
            await Task.Delay(20, patience.Token);
        }
    }
}
