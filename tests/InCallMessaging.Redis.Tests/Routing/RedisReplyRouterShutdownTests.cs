using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using InCallMessaging.Testing;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// What routing does when an instance shuts down gracefully (its calls are handed over at once, not after the lease),
/// when Redis restarts between a hand-off and its read (the AOF keeps the inbox entry), and when an instance dies after
/// reading an entry and before acknowledging it (a live instance's janitor delivers it through the after-call path
/// once). Real redis-server, in-process instances; every wait has a generous safety timeout.
/// </summary>
public sealed class RedisReplyRouterShutdownTests(RedisServerFixture redis) : RoutingTests(redis)
{
    private Task<RoutedInstance> StartAsync(string id, TimeSpan? lease = null, RedisServer? server = null, Action<IServiceCollection>? configure = null) =>
        Instances.StartAsync(id, lease, server, configure);

    [Fact]
    public async Task After_A_stops_gracefully_a_reply_to_its_live_call_posted_to_B_takes_the_after_call_path_at_once()
    {
        // The default 30 s lease: without the release, the reply would be handed off to A's inbox until the lease lapsed.
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        var sent = await a.WaitForSentAsync(session);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.Server.ConnectionString);
        var database = connection.GetDatabase();
        Assert.Equal("A", (string?)await database.StringGetAsync(Instances.Prefix + "call:CA1:owner"));

        await a.Router.StopAsync(CancellationToken.None).WaitAsync(RoutedInstance.Patience);

        Assert.False(await database.KeyExistsAsync(Instances.Prefix + "call:CA1:owner"));
        Assert.False(await database.KeyExistsAsync(Instances.Prefix + "instance:A"));
        Assert.False(await database.SetContainsAsync(Instances.Prefix + "instances", "A"));
        Assert.False(await database.KeyExistsAsync(Instances.Prefix + "inbox:A"));

        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "thanks", inReplyTo: sent.MessageId);
        var outcome = await b.Runtime.Replies.DeliverAsync(reply).AsTask().WaitAsync(RoutedInstance.Patience);

        Assert.NotEqual(ReplyDeliveryOutcome.HandedOff, outcome);
        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        var (callId, handled) = Assert.Single(b.AfterCall.Replies);
        Assert.Equal("CA1", callId);
        Assert.Equal(reply.MessageId, handled.MessageId);
        Assert.Empty(a.AfterCall.Replies);
        Assert.DoesNotContain(session.Messages, m => m.Direction == MessageDirection.Inbound);
    }

    [Fact]
    public async Task A_graceful_stop_releases_only_the_claims_still_held_by_the_stopping_instance()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        a.Runtime.Calls.StartCall("CA2", "+14155550111", RoutedInstance.Agent);
        await a.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);
        await b.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);   // B's heartbeat is written behind its start
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.Server.ConnectionString);
        var database = connection.GetDatabase();

        // CA2 moved to B meanwhile (A's claim lapsed and B took it): A must not delete B's claim.
        await database.StringSetAsync(Instances.Prefix + "call:CA2:owner", "B", TimeSpan.FromMinutes(1));

        await a.Router.StopAsync(CancellationToken.None).WaitAsync(RoutedInstance.Patience);

        Assert.False(await database.KeyExistsAsync(Instances.Prefix + "call:CA1:owner"));
        Assert.Equal("B", (string?)await database.StringGetAsync(Instances.Prefix + "call:CA2:owner"));
        Assert.True(await database.KeyExistsAsync(Instances.Prefix + "instance:B"));
        Assert.True(await database.SetContainsAsync(Instances.Prefix + "instances", "B"));
    }

    [Fact]
    public async Task A_reply_handed_off_to_A_before_Redis_restarts_reaches_the_action_waiting_on_A_once_after_the_restart()
    {
        await using var server = await RedisServer.StartAsync();
        var a = await StartAsync("A", server: server);
        var b = await StartAsync("B", server: server);
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.WaitForSentAsync(session);

        // A does not read its inbox until the test lets it: the hand-off sits in Redis across the restart.
        await a.Router.PauseReadingAsync().WaitAsync(RoutedInstance.Patience);
        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "it is 123456", inReplyTo: sent.MessageId);
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(reply).AsTask().WaitAsync(RoutedInstance.Patience));
        var inbox = (RedisKey)(Instances.Prefix + "inbox:A");
        await using (var before = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            Assert.Equal(1, await before.GetDatabase().StreamLengthAsync(inbox));
        }

        await server.RestartAsync();

        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var database = connection.GetDatabase();
        Assert.Equal(1, await database.StreamLengthAsync(inbox));
        Assert.False(invocation.IsCompleted);

        a.Router.ResumeReading();

        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"replied\"", result, StringComparison.Ordinal);
        Assert.Contains("it is 123456", result, StringComparison.Ordinal);
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        while (await database.StreamLengthAsync(inbox) > 0)
        {
            await Task.Delay(20, patience.Token);
        }

        Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound && m.MessageId == reply.MessageId);
        Assert.Empty(a.AfterCall.Replies);
        Assert.Empty(b.AfterCall.Replies);

        // A redelivery by the provider after the restart is still a duplicate (B may still be reconnecting: the webhook
        // answers 503 and the provider retries, as this test does).
        ReplyDeliveryOutcome again;
        while (true)
        {
            try
            {
                again = await b.Runtime.Replies.DeliverAsync(reply, patience.Token);
                break;
            }
            catch (StateStoreException)
            {
                await Task.Delay(50, patience.Token);
            }
        }

        Assert.Equal(ReplyDeliveryOutcome.Duplicate, again);
        Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound && m.MessageId == reply.MessageId);
    }

    [Fact]
    public async Task A_reply_A_read_and_never_acknowledged_before_it_died_takes_the_after_call_path_on_B_exactly_once()
    {
        // A's deliveries hang (as a process about to die would): it reads the entry and never acknowledges it.
        var hung = new HangingDelivery();
        var a = await StartAsync("A", lease: TimeSpan.FromSeconds(1), configure: services => services.AddSingleton<IHandedOffReplyDelivery>(hung));
        var b = await StartAsync("B", lease: TimeSpan.FromSeconds(1));
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        var sent = await a.WaitForSentAsync(session);

        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "thanks", inReplyTo: sent.MessageId);
        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(reply).AsTask().WaitAsync(RoutedInstance.Patience));
        Assert.Equal(reply.MessageId, (await hung.Entered.Task.WaitAsync(RoutedInstance.Patience)).MessageId);

        // A dies: no graceful release, its delivery never finishes; its claim and heartbeat lapse after the 1 s lease.
        await a.Router.HaltAsync().WaitAsync(RoutedInstance.Patience);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.Server.ConnectionString);
        var database = connection.GetDatabase();
        var inbox = (RedisKey)(Instances.Prefix + "inbox:A");
        var pending = await database.StreamPendingAsync(inbox, "owners");
        Assert.Equal(1, pending.PendingMessageCount);
        Assert.Equal("A", (string?)Assert.Single(pending.Consumers).Name);

        // B's janitor (every second) claims the entry once it has been idle for a lease and delivers it after the call.
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        while (await database.KeyExistsAsync(inbox) || b.AfterCall.Replies.IsEmpty)
        {
            await Task.Delay(20, patience.Token);
        }

        var (callId, handled) = Assert.Single(b.AfterCall.Replies);
        Assert.Equal("CA1", callId);
        Assert.Equal(reply.MessageId, handled.MessageId);
        Assert.Empty(a.AfterCall.Replies);
        Assert.Equal(1, hung.Calls);
        Assert.False(await database.SetContainsAsync(Instances.Prefix + "instances", "A"));
        Assert.Equal(0, await database.StreamLengthAsync(Instances.Prefix + "dead-letter"));
        Assert.Equal(ReplyDeliveryOutcome.Duplicate, await b.Runtime.Replies.DeliverAsync(reply).AsTask().WaitAsync(RoutedInstance.Patience));
        Assert.Single(b.AfterCall.Replies);
    }

    /// <summary>A delivery that never finishes until it is cancelled: the instance read the entry and dies before acknowledging it.</summary>
    private sealed class HangingDelivery : IHandedOffReplyDelivery
    {
        private int _calls;

        public TaskCompletionSource<InboundMessage> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public async ValueTask<ReplyDeliveryOutcome> DeliverHandedOffAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Entered.TrySetResult(message);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("Unreachable.");
        }

        public ValueTask<StatusUpdateOutcome> ApplyHandedOffStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No status is handed off in this test.");
    }
}
