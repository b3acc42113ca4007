using System.Diagnostics;
using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests;

/// <summary>
/// Group commit of inbound messages (<see cref="RedisStateStore.RecordInboundAsync"/>): records that queue while script
/// calls are in flight share the next one, and each caller still gets its own answer. The tests hold the calls in flight
/// with <c>CLIENT PAUSE</c>, so what queues behind them is known; some kill the server, so they share one class.
/// </summary>
public sealed class RedisInboundBatchingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private RedisServer Server => redis.Server;

    // Each test starts with the server up and unpaused, whatever the one before did to it.
    public async Task InitializeAsync()
    {
        if (!Server.IsRunning)
        {
            await Server.RestartAsync();
        }

        await using var admin = await AdminAsync();
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Records_queued_behind_a_call_in_flight_share_one_script_call_and_each_is_logged()
    {
        await using var store = await WarmStoreAsync();
        await using var admin = await AdminAsync();
        var held = await HoldInFlightAsync(store, admin);

        var queued = Enumerable.Range(0, 40).Select(i => Record(store, Inbound($"SM{i}", $"text {i}"))).ToArray();
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");

        Assert.All(await Task.WhenAll(held), recorded => Assert.True(recorded));
        Assert.All(await Task.WhenAll(queued), recorded => Assert.True(recorded));
        Assert.Equal(Batches(1), store.InboundBatchCount); // the 40 together
        Assert.Equal(Batches(40), store.InboundMessageCount);
        for (var i = 0; i < 40; i++)
        {
            var logged = await store.FindAsync($"SM{i}");
            Assert.Equal(MessageDirection.Inbound, logged?.Direction);
            Assert.Equal($"text {i}", logged?.Text);
        }

        Assert.Equal(40 + held.Length, (await store.GetCallAsync("CA1")).Count(m => m.Direction == MessageDirection.Inbound && m.MessageId != "SM-warm"));
        Assert.False(await Record(store, Inbound("SM7", "text 7")));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task Concurrent_records_of_one_delivery_key_let_exactly_one_through(bool inOneBatch, bool sameMessageId)
    {
        var prefix = RedisServerFixture.FreshPrefix();
        await using var hostA = await WarmStoreAsync(prefix);
        await using var hostB = await WarmStoreAsync(prefix);
        await using var admin = await AdminAsync();
        var held = inOneBatch ? await HoldInFlightAsync(hostA, admin) : [];

        // Fifty deliveries of one provider message: as the hub records them (one message id, the key "in:" and that id),
        // or under different message ids with one delivery key. Only one may be logged and delivered.
        LoggedMessage Delivery(int i) => Inbound(sameMessageId ? "SMdup" : $"SMdup{i}", "once");
        using var start = new ManualResetEventSlim();
        Task<bool>[] records;
        if (inOneBatch)
        {
            records = [.. Enumerable.Range(0, 50).Select(i => Record(hostA, Delivery(i), "in:SMdup"))];
            await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
            Assert.All(await Task.WhenAll(held), recorded => Assert.True(recorded));
        }
        else
        {
            records = [.. Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await Record(i % 2 == 0 ? hostA : hostB, Delivery(i), "in:SMdup");
            }))];
            start.Set();
        }

        var results = await Task.WhenAll(records);

        var winner = Assert.Single(Enumerable.Range(0, 50), i => results[i]);
        if (sameMessageId)
        {
            Assert.Equal("once", (await hostB.FindAsync("SMdup"))?.Text);
        }
        else
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(i == winner, await hostB.FindAsync($"SMdup{i}") is not null);
            }
        }

        if (inOneBatch)
        {
            Assert.Equal(Batches(1), hostA.InboundBatchCount);
        }
    }

    [Fact]
    public async Task The_hubs_delivery_key_needs_no_mark_of_its_own_and_any_other_key_gets_one()
    {
        await using var store = await WarmStoreAsync();
        await using var admin = await AdminAsync();
        var database = admin.GetDatabase();

        Assert.True(await Record(store, Inbound("SM1", "own"), "in:SM1"));
        Assert.True(await Record(store, Inbound("SM2", "foreign"), "in:other-key"));
        Assert.True(await Record(store, Inbound("SM3", "long"), "in:SM3", retention: TimeSpan.FromDays(31)));

        // The message's hash is SM1's mark (it lives 30 days, longer than the day asked); the others need a key.
        Assert.False(await database.KeyExistsAsync(store.KeyPrefix + "dedupe:in:SM1"));
        Assert.True(await database.KeyExistsAsync(store.KeyPrefix + "dedupe:in:other-key"));
        Assert.True(await database.KeyTimeToLiveAsync(store.KeyPrefix + "dedupe:in:SM3") > TimeSpan.FromDays(30));
        Assert.False(await Record(store, Inbound("SM1", "own"), "in:SM1"));
        Assert.False(await Record(store, Inbound("SM4", "foreign again"), "in:other-key"));
        Assert.Null(await store.FindAsync("SM4"));
    }

    [Fact]
    public async Task When_Redis_dies_under_a_batch_every_waiter_gets_its_own_StateStoreException()
    {
        await using var store = await WarmStoreAsync();
        await using var admin = await AdminAsync();
        var held = await HoldInFlightAsync(store, admin);
        var queued = Enumerable.Range(0, 20).Select(i => Record(store, Inbound($"SM{i}", "lost?"))).ToArray();

        await Server.KillAsync();

        foreach (var (record, id) in held.Select((r, i) => (r, $"SM-held{i}")).Concat(queued.Select((r, i) => (r, $"SM{i}"))))
        {
            var error = await Assert.ThrowsAsync<StateStoreException>(() => record);
            Assert.Equal($"Redis ({Server.ConnectionString})", error.Store);
            Assert.StartsWith($"Redis ({Server.ConnectionString}): Recording inbound message {id} failed: Redis is not reachable", error.Message,
                StringComparison.Ordinal);
            Assert.IsAssignableFrom<RedisException>(error.InnerException);
        }

        Assert.Equal(Batches(1), store.InboundBatchCount); // the 20 together
        Assert.Equal(Batches(20), store.InboundMessageCount);

        // Nothing of theirs was written (the server died before it ran them): once Redis is back, each is a first delivery.
        await Server.RestartAsync();
        Assert.True(await EventuallyAsync(() => Record(store, Inbound("SM-held0", "lost?"))));
        Assert.True(await Record(store, Inbound("SM-held1", "lost?")));
        Assert.All(await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Record(store, Inbound($"SM{i}", "lost?")))), recorded => Assert.True(recorded));
    }

    [Fact]
    public async Task A_waiter_cancelled_while_queued_is_left_out_and_its_neighbours_are_recorded()
    {
        await using var store = await WarmStoreAsync();
        await using var admin = await AdminAsync();
        var held = await HoldInFlightAsync(store, admin);
        using var cancel = new CancellationTokenSource();
        var before = Record(store, Inbound("SM-before", "kept"));
        var cancelled = Record(store, Inbound("SM-cancelled", "dropped"), cancellationToken: cancel.Token);
        var after = Record(store, Inbound("SM-after", "kept"));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
        Assert.All(await Task.WhenAll(held), recorded => Assert.True(recorded));
        Assert.True(await before);
        Assert.True(await after);
        Assert.Equal(Batches(1), store.InboundBatchCount);
        Assert.Equal(Batches(2), store.InboundMessageCount); // the two left

        // It left no trace: not logged, not marked, so its redelivery is its first.
        Assert.Null(await store.FindAsync("SM-cancelled"));
        Assert.True(await Record(store, Inbound("SM-cancelled", "dropped")));
    }

    [Fact]
    public async Task A_message_Redis_refuses_fails_alone_and_the_rest_of_its_batch_is_recorded()
    {
        await using var store = await WarmStoreAsync();
        await using var admin = await AdminAsync();
        // Foreign data under the prefix where this caller's list of inbound messages belongs: Redis refuses to add to it.
        await admin.GetDatabase().StringSetAsync(store.KeyPrefix + "in:caller:caller-bad", "not a list");
        var held = await HoldInFlightAsync(store, admin);

        var good1 = Record(store, Inbound("SM-good1", "fine"));
        var bad = Record(store, Inbound("SM-bad", "refused") with { CallerKey = "caller-bad" });
        var good2 = Record(store, Inbound("SM-good2", "fine"));
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");

        Assert.All(await Task.WhenAll(held), recorded => Assert.True(recorded));
        Assert.True(await good1);
        Assert.True(await good2);
        var error = await Assert.ThrowsAsync<StateStoreException>(() => bad);
        Assert.StartsWith($"Redis ({Server.ConnectionString}): Recording inbound message SM-bad failed: Redis refused it (", error.Message,
            StringComparison.Ordinal);
        Assert.Contains("WRONGTYPE", error.Message, StringComparison.Ordinal);
        Assert.Contains($"no other data uses the key prefix '{store.KeyPrefix}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(Batches(1), store.InboundBatchCount);
        Assert.NotNull(await store.FindAsync("SM-good1"));
        Assert.NotNull(await store.FindAsync("SM-good2"));
    }

    [Fact]
    public async Task A_refused_append_to_a_minutes_list_fails_the_messages_of_that_minute_alone()
    {
        await using var store = await WarmStoreAsync();
        await using var admin = await AdminAsync();
        // Foreign data where the list of the inbound messages created in the minute after T0 belongs.
        var minute = (T0.ToUnixTimeMilliseconds() / 60_000) + 1;
        await admin.GetDatabase().StringSetAsync(store.KeyPrefix + "in:minute:" + minute, "not a list");
        var held = await HoldInFlightAsync(store, admin);

        var good = Record(store, Inbound("SM-good", "fine"));
        var bad = new[] { "SM-bad1", "SM-bad2" }.Select(id => Record(store, Inbound(id, "refused") with { CreatedAt = T0.AddMinutes(1) })).ToArray();
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");

        Assert.All(await Task.WhenAll(held), recorded => Assert.True(recorded));
        Assert.True(await good);
        foreach (var record in bad)
        {
            var error = await Assert.ThrowsAsync<StateStoreException>(() => record);
            Assert.Contains("WRONGTYPE", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(Batches(1), store.InboundBatchCount);
        Assert.Equal(T0, (await store.FindAsync("SM-good"))?.CreatedAt);
    }

    [Fact]
    public async Task Disposing_the_store_writes_the_queued_records_first_and_then_refuses_more()
    {
        var prefix = RedisServerFixture.FreshPrefix();
        var store = await WarmStoreAsync(prefix);
        await using var admin = await AdminAsync();
        var held = await HoldInFlightAsync(store, admin);
        var queued = Enumerable.Range(0, 10).Select(i => Record(store, Inbound($"SM{i}", "queued"))).ToArray();

        var disposing = store.DisposeAsync().AsTask();
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
        await disposing;

        Assert.All(await Task.WhenAll(held), recorded => Assert.True(recorded));
        Assert.All(await Task.WhenAll(queued), recorded => Assert.True(recorded));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Record(store, Inbound("SM-late", "too late")));
        await using var other = redis.CreateStore(configure: o => o.KeyPrefix = prefix);
        Assert.Equal(10 + held.Length, (await other.GetCallAsync("CA1")).Count(m => m.MessageId != "SM-warm"));
    }

    /// <summary>A store that has connected and recorded one message (<c>SM-warm</c>): one batch done.</summary>
    private async Task<RedisStateStore> WarmStoreAsync(string? prefix = null)
    {
        var store = redis.CreateStore(configure: o =>
        {
            o.KeyPrefix = prefix ?? o.KeyPrefix;
            o.OperationTimeout = Patience; // a batch held by CLIENT PAUSE must not time out
        });
        await Record(store, Inbound("SM-warm", "warm-up"), "in:SM-warm:" + Guid.NewGuid().ToString("N"));
        return store;
    }

    /// <summary>
    /// Pauses Redis's writes (scripts included) and fills every slot of the batcher with a record of its own
    /// (<c>SM-held0</c>, <c>SM-held1</c>, ...), each in flight until the test unpauses it: what is recorded next queues.
    /// </summary>
    private static async Task<Task<bool>[]> HoldInFlightAsync(RedisStateStore store, ConnectionMultiplexer admin)
    {
        var sent = store.InboundBatchCount;
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", ((int)Patience.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "WRITE");
        var held = new Task<bool>[InboundBatcher.MaxInFlight];
        for (var i = 0; i < held.Length; i++)
        {
            held[i] = Record(store, Inbound($"SM-held{i}", "held"));
            await WaitUntilAsync(() => store.InboundBatchCount == sent + i + 1);
        }

        return held;
    }

    /// <summary>Batches a test sees: the warm-up and the held ones, then <paramref name="more"/>.</summary>
    private static long Batches(int more) => 1 + InboundBatcher.MaxInFlight + more;

    private static Task<bool> Record(RedisStateStore store, LoggedMessage message, string? deliveryKey = null,
        TimeSpan? retention = null, CancellationToken cancellationToken = default) =>
        store.RecordInboundAsync(message, deliveryKey ?? "in:" + message.MessageId, retention ?? Retention, cancellationToken).AsTask();

    private async Task<ConnectionMultiplexer> AdminAsync() =>
        await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString + ",allowAdmin=true");

    private static LoggedMessage Inbound(string messageId, string text) => TestMessages.Received(messageId, text, T0);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Patience, "the condition did not come true");
            await Task.Delay(10);
        }
    }

    /// <summary>Retries an operation while the store reconnects after a restart.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> operation)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (StateStoreException) when (waited.Elapsed < Patience)
            {
                await Task.Delay(100);
            }
        }
    }
}
