using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// What routing does when an instance dies with replies in its inbox (the janitor of a live instance delivers them
/// through the after-call path, once) and when a status callback beats the send's answer (it is parked and reaches the
/// call once the call records its message). Real redis-server, in-process instances; every wait has a generous safety
/// timeout, and nothing asserts on timing.
/// </summary>
public sealed class RedisReplyRouterRecoveryTests(RedisServerFixture redis) : RoutingTests(redis)
{
    private Task<RoutedInstance> StartAsync(string id, TimeSpan? lease = null) =>
        Instances.StartAsync(id, lease);

    [Fact]
    public async Task Replies_stranded_in_a_dead_instances_inbox_take_the_after_call_path_on_a_live_instance_exactly_once()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B", lease: TimeSpan.FromSeconds(1));
        var c = await StartAsync("C", lease: TimeSpan.FromSeconds(1));
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        var sent = await a.WaitForSentAsync(session);

        // A hangs: it stops reading its inbox and renewing (no graceful release); its claim and heartbeat stay until the test lets them lapse.
        await a.Router.HaltAsync();
        await a.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);
        var owner = (RedisKey)(Instances.Prefix + "call:CA1:owner");
        var heartbeat = (RedisKey)(Instances.Prefix + "instance:A");
        var inbox = (RedisKey)(Instances.Prefix + "inbox:A");
        Assert.True(await Database.KeyPersistAsync(owner));
        Assert.True(await Database.KeyPersistAsync(heartbeat));
        await EnsureGroupAsync(inbox);

        var readBeforeDying = RoutedInstance.Reply(RoutedInstance.NewSid(), "thanks", inReplyTo: sent.MessageId);
        var neverRead = RoutedInstance.Reply(RoutedInstance.NewSid(), "bye", inReplyTo: sent.MessageId);
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(readBeforeDying));
        Assert.Single(await Database.StreamReadGroupAsync(inbox, "owners", "A", StreamPosition.NewMessages, 1));
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await c.Runtime.Replies.DeliverAsync(neverRead));

        // While A's heartbeat lives, the janitors of B and C leave its inbox alone.
        Assert.Equal(0, await b.Router.SweepDeadInboxesAsync(CancellationToken.None));
        Assert.Equal(2, await Database.StreamLengthAsync(inbox));

        // A's lease lapses: B's and C's janitors (each sweeping every second) claim what A held.
        await Database.KeyDeleteAsync([owner, heartbeat]);
        await WaitUntilAsync(async () => !await Database.KeyExistsAsync(inbox));

        var delivered = b.AfterCall.Replies.Concat(c.AfterCall.Replies).ToArray();
        Assert.Equal(2, delivered.Length);
        Assert.Single(delivered, r => r.Reply.MessageId == readBeforeDying.MessageId);
        Assert.Single(delivered, r => r.Reply.MessageId == neverRead.MessageId);
        Assert.All(delivered, r => Assert.Equal("CA1", r.CallId));
        Assert.Empty(a.AfterCall.Replies);
        Assert.False(await Database.SetContainsAsync(Instances.Prefix + "instances", "A"));
        Assert.True(await Database.SetContainsAsync(Instances.Prefix + "instances", "B"));
        Assert.Equal(0, await Database.StreamLengthAsync(Instances.Prefix + "dead-letter"));

        // Once delivered, a redelivery of either is a duplicate, wherever it lands.
        Assert.Equal(ReplyDeliveryOutcome.Duplicate, await b.Runtime.Replies.DeliverAsync(neverRead));
    }

    [Fact]
    public async Task A_status_posted_to_B_before_A_recorded_its_message_is_parked_and_ends_the_wait_on_A_once_A_records_it()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.WaitForSentAsync(session);

        // The status callback beats the send's answer: which call sent the message is not in Redis yet.
        Assert.True(await Database.KeyDeleteAsync(Instances.Prefix + "route:msg:" + sent.MessageId));
        var failed = new DeliveryStatusUpdate { MessageId = sent.MessageId, Status = "failed", ErrorCode = "30003" };

        Assert.Equal(StatusUpdateOutcome.HandedOff, await b.Runtime.Replies.ApplyStatusAsync(failed));

        var parked = (RedisKey)(Instances.Prefix + "parked:" + sent.MessageId);
        Assert.Equal(1, await Database.ListLengthAsync(parked));
        Assert.InRange(await Database.KeyTimeToLiveAsync(parked) ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        Assert.False(invocation.IsCompleted);
        Assert.Equal(StatusUpdateOutcome.Ignored, await b.Runtime.Replies.ApplyStatusAsync(failed));

        // A's record of the message lands: the parked status moves into A's inbox in the same step, and ends the wait.
        var message = session.Messages.Single(m => m.Direction == MessageDirection.Outbound && m.MessageId == sent.MessageId);
        a.Router.MessageSent(session, message, new CallerConversation(MessageChannel.Sms, CallerKeys.Of(RoutedInstance.Caller), RoutedInstance.Agent));

        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"failed\"", result, StringComparison.Ordinal);
        Assert.False(await Database.KeyExistsAsync(parked));
        await WaitUntilAsync(async () => await Database.StreamLengthAsync(Instances.Prefix + "inbox:A") == 0);
        Assert.Empty(b.AfterCall.Replies);
    }

    [Fact]
    public async Task Replies_handed_off_to_two_calls_reach_each_call_once_in_the_order_they_were_handed_off()
    {
        const string OtherCaller = "+14155550111";
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var first = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var second = a.Runtime.Calls.StartCall("CA2", OtherCaller, RoutedInstance.Agent);
        await a.InvokeAsync(first, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        await a.InvokeAsync(second, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        while (first.Messages.Count(m => m.Direction == MessageDirection.Outbound) + second.Messages.Count(m => m.Direction == MessageDirection.Outbound) < 2)
        {
            await Task.Delay(10);
        }

        await a.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);

        var toFirst = new List<string>();
        var toSecond = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "reply " + i);
            if (i % 2 == 1)
            {
                reply = reply with { From = OtherCaller };
            }

            Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(reply));
            (i % 2 == 0 ? toFirst : toSecond).Add(reply.MessageId);
        }

        await WaitUntilAsync(() => Task.FromResult(first.RepliesReceived == 10 && second.RepliesReceived == 10));
        Assert.Equal(toFirst, first.Messages.Where(m => m.Direction == MessageDirection.Inbound).Select(m => m.MessageId));
        Assert.Equal(toSecond, second.Messages.Where(m => m.Direction == MessageDirection.Inbound).Select(m => m.MessageId));
    }

    [Fact]
    public async Task A_reply_posted_to_B_while_no_call_recorded_its_message_is_not_parked()
    {
        await StartAsync("A");
        var b = await StartAsync("B");

        var outcome = await b.Runtime.Replies.DeliverAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "hello?", inReplyTo: "SM-not-yet"));

        Assert.Equal(ReplyDeliveryOutcome.Unmatched, outcome);
        Assert.False(await Database.KeyExistsAsync(Instances.Prefix + "parked:SM-not-yet"));
    }

    private async Task EnsureGroupAsync(RedisKey inbox)
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(inbox, "owners", StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // A created it when it started.
        }
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
