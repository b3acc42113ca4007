using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// The owner's inbox loop on its own: a delivery that throws stays pending and is retried, one that keeps failing is
/// dead-lettered, and what an earlier process read and never acknowledged is delivered at start.
/// </summary>
public sealed class RedisReplyRouterInboxTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_delivery_that_throws_is_retried_until_it_succeeds()
    {
        var delivery = new FlakyDelivery(failures: 2);
        await using var store = redis.CreateStore();
        await using var router = Create(store, delivery, maxDeliveries: 5);
        await router.StartAsync(CancellationToken.None);

        Assert.Equal(RouteResult.HandedOff, await HandOffAsync(store, router, "SM-retry"));

        await delivery.Delivered.Task.WaitAsync(RoutedInstance.Patience);
        Assert.Equal(3, delivery.Attempts);
        await WaitUntilAsync(async database => await database.StreamLengthAsync(store.KeyPrefix + "inbox:owner") == 0);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        Assert.Equal(0, await connection.GetDatabase().StreamLengthAsync(store.KeyPrefix + "dead-letter"));
    }

    [Fact]
    public async Task A_delivery_that_keeps_failing_moves_to_the_dead_letter_stream_after_MaxDeliveries()
    {
        var delivery = new FlakyDelivery(failures: int.MaxValue);
        await using var store = redis.CreateStore();
        await using var router = Create(store, delivery, maxDeliveries: 3);
        await router.StartAsync(CancellationToken.None);

        Assert.Equal(RouteResult.HandedOff, await HandOffAsync(store, router, "SM-dead"));

        await WaitUntilAsync(async database => await database.StreamLengthAsync(store.KeyPrefix + "dead-letter") == 1);
        await WaitUntilAsync(async database => await database.StreamLengthAsync(store.KeyPrefix + "inbox:owner") == 0);
        Assert.Equal(3, delivery.Attempts);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var dead = Assert.Single(await connection.GetDatabase().StreamRangeAsync(store.KeyPrefix + "dead-letter"));
        Assert.Equal("in", (string?)dead["kind"]);
        Assert.Contains("SM-dead", (string?)dead["payload"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_entry_an_earlier_process_read_and_never_acknowledged_is_delivered_at_start_not_just_the_first_read()
    {
        // More entries than one read takes (64), read by a process that then died before acknowledging any of them.
        const int Count = 150;
        var delivery = new CountingDelivery(Count);
        await using var store = redis.CreateStore();
        var inbox = store.KeyPrefix + "inbox:owner";
        await using (var crashed = Create(store, delivery, maxDeliveries: 5))
        {
            await crashed.StartAsync(CancellationToken.None);
            await crashed.PauseReadingAsync();
            for (var i = 0; i < Count; i++)
            {
                Assert.Equal(RouteResult.HandedOff, await HandOffAsync(store, crashed, $"SM-pending-{i:D3}"));
            }

            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
            var read = await connection.GetDatabase().StreamReadGroupAsync(inbox, "owners", "owner", StreamPosition.NewMessages, Count);
            Assert.Equal(Count, read.Length);
            await crashed.HaltAsync();
        }

        Assert.Equal(0, delivery.Attempts);

        // The same instance id again; its poll is a minute away, so only the pass at start can deliver them.
        await using var restarted = Create(store, delivery, maxDeliveries: 5, poll: TimeSpan.FromMinutes(1));
        await restarted.StartAsync(CancellationToken.None);

        await delivery.All.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(Count, delivery.Distinct);
        await WaitUntilAsync(async database => await database.StreamLengthAsync(inbox) == 0);
    }

    private static RedisReplyRouter Create(RedisStateStore store, IHandedOffReplyDelivery delivery, int maxDeliveries, TimeSpan? poll = null)
    {
        var services = new ServiceCollection().AddSingleton(delivery).BuildServiceProvider();
        return new RedisReplyRouter(store, new RedisRoutingOptions
        {
            InstanceId = "owner",
            PollInterval = poll ?? TimeSpan.FromMilliseconds(50),
            MaxDeliveries = maxDeliveries,
        }, services, NullLogger.Instance);
    }

    /// <summary>Claims call CX for instance "owner" in Redis directly, then hands a reply from its caller off.</summary>
    private async Task<RouteResult> HandOffAsync(RedisStateStore store, RedisReplyRouter router, string messageId)
    {
        var callerKey = CallerKeys.Of(RoutedInstance.Caller);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString))
        {
            var database = connection.GetDatabase();
            await database.StringSetAsync(store.KeyPrefix + "call:CX:owner", "owner");
            await database.StringSetAsync(store.KeyPrefix + "caller-live:" + callerKey, "CX");
        }

        return await router.RouteInboundAsync(RoutedInstance.Reply(messageId, "hi"),
            new CallerConversation(MessageChannel.Sms, callerKey, RoutedInstance.Agent), CancellationToken.None);
    }

    private async Task WaitUntilAsync(Func<IDatabase, Task<bool>> condition)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        while (!await condition(connection.GetDatabase()))
        {
            await Task.Delay(20, patience.Token);
        }
    }

    private sealed class CountingDelivery(int expected) : IHandedOffReplyDelivery
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public int Distinct => _seen.Count;

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<ReplyDeliveryOutcome> DeliverHandedOffAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            if (_seen.TryAdd(message.MessageId, 0) && _seen.Count == expected)
            {
                All.TrySetResult();
            }

            return ValueTask.FromResult(ReplyDeliveryOutcome.DeliveredToCall);
        }

        public ValueTask<StatusUpdateOutcome> ApplyHandedOffStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken) =>
            ValueTask.FromResult(StatusUpdateOutcome.Applied);
    }

    private sealed class FlakyDelivery(int failures) : IHandedOffReplyDelivery
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<ReplyDeliveryOutcome> DeliverHandedOffAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _attempts) <= failures)
            {
                throw new InvalidOperationException("The call's session is busy (a test failure).");
            }

            Delivered.TrySetResult();
            return ValueTask.FromResult(ReplyDeliveryOutcome.DeliveredToCall);
        }

        public ValueTask<StatusUpdateOutcome> ApplyHandedOffStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken) =>
            ValueTask.FromResult(StatusUpdateOutcome.Applied);
    }
}
