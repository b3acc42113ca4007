using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>The owner's inbox loop on its own: a delivery that throws stays pending and is retried, and one that keeps failing is dead-lettered.</summary>
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

    private static RedisReplyRouter Create(RedisStateStore store, IHandedOffReplyDelivery delivery, int maxDeliveries)
    {
        var services = new ServiceCollection().AddSingleton(delivery).BuildServiceProvider();
        return new RedisReplyRouter(store, new RedisRoutingOptions
        {
            InstanceId = "owner",
            PollInterval = TimeSpan.FromMilliseconds(50),
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
