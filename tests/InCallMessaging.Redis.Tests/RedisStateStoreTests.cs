using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests;

/// <summary>
/// What the Redis store adds to the contract: a shared store across hosts, data that outlives a Redis restart or crash,
/// and prompt, named failures while Redis is down. These tests stop and kill their server, so they share one class.
/// </summary>
public sealed class RedisStateStoreTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, 123, TimeSpan.FromHours(2));

    private RedisServer Server => redis.Server;

    // Each test starts with the server up, whatever the one before did to it.
    public async Task InitializeAsync()
    {
        if (!Server.IsRunning)
        {
            await Server.RestartAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(false, "always")]
    [InlineData(true, "always")]
    [InlineData(true, "everysec")]
    public async Task Everything_written_survives_a_Redis_restart_or_kill(bool kill, string appendfsync)
    {
        await using var store = redis.CreateStore();
        if (appendfsync != "always")
        {
            // Redis's own default with AOF fsyncs once a second, but writes each command to the file (the kernel) before
            // it answers: a killed Redis loses nothing it acknowledged. (The restart below goes back to the fixture's setting.)
            await using var admin = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString + ",allowAdmin=true");
            await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "appendfsync", appendfsync);
        }

        Assert.True(await store.TryAddAsync(Message("SM1") with { ClientReference = "ref-1" }));
        Assert.True(await store.AddStatusAsync("SM1", null, new LoggedStatus("delivered", DeliveryState.Delivered, null, T0.AddSeconds(1))));
        Assert.True(await store.SetOptedOutAsync("caller-a", "+15550001", optedOut: true, T0));
        await store.RecordWhatsAppInboundAsync("caller-a", "+15550001", T0);
        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.True(await store.RecordInboundAsync(TestMessages.Received("SM-in", "a reply", T0.AddSeconds(2)), "in:SM-in", TimeSpan.FromHours(1)));

        if (kill)
        {
            await Server.KillAsync();
        }

        await Server.RestartAsync();

        await EventuallyAsync(() => store.FindAsync("SM1").AsTask());
        var message = await store.FindAsync("SM1");
        Assert.Equal(DeliveryState.Delivered, message!.State);
        Assert.Single(message.StatusHistory);
        Assert.Equal(["SM1", "SM-in"], (await store.GetCallAsync("CA1")).Select(m => m.MessageId));
        Assert.Equal("SM1", (await store.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", T0))?.MessageId);
        Assert.Equal(new ConsentRecord(true, T0), await store.GetAsync("caller-a", "+15550001"));
        Assert.False(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.False(await store.TryAddAsync(Message("SM1")));
        Assert.Equal("a reply", (await store.FindAsync("SM-in"))?.Text);
        Assert.False(await store.RecordInboundAsync(TestMessages.Received("SM-in", "a reply", T0.AddSeconds(2)), "in:SM-in", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task With_Redis_down_operations_fail_promptly_naming_Redis_and_work_again_once_it_is_back()
    {
        await using var store = redis.CreateStore();
        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));

        await Server.KillAsync();

        foreach (var operation in new Func<Task>[]
        {
            () => store.TryMarkAsync("in:SM2", TimeSpan.FromHours(1)).AsTask(),
            () => store.TryAddAsync(Message("SM2")).AsTask(),
            () => store.GetAsync("caller-a", "+15550001").AsTask(),
            () => store.GetCallAsync("CA1").AsTask(),
        })
        {
            var watch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<StateStoreException>(operation);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
            Assert.Equal($"Redis ({Server.ConnectionString})", error.Store);
            Assert.Contains("Redis is not reachable", error.Message, StringComparison.Ordinal);
            Assert.Contains("check that Redis is running", error.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<RedisException>(error.InnerException);
        }

        await Server.RestartAsync();

        Assert.True(await EventuallyAsync(() => store.TryMarkAsync("in:SM2", TimeSpan.FromHours(1)).AsTask()));
        Assert.False(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task A_Redis_that_does_not_answer_fails_operations_after_the_operation_timeout()
    {
        await using var store = redis.CreateStore(configure: o => o.OperationTimeout = TimeSpan.FromSeconds(1));
        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StateStoreException>(() => store.TryMarkAsync("in:SM2", TimeSpan.FromHours(1)).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.Contains("did not answer within OperationTimeout (1 s)", error.Message, StringComparison.Ordinal);
        Assert.IsType<RedisTimeoutException>(error.InnerException);
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
        await EventuallyAsync(() => store.GetAsync("caller-a", "+15550001").AsTask());
    }

    [Fact]
    public async Task A_Redis_that_is_down_at_start_up_fails_operations_not_the_store()
    {
        var port = ClosedPort();
        await using var store = new RedisStateStore(new RedisStoreOptions
        {
            ConnectionString = $"127.0.0.1:{port}",
            ConnectTimeout = TimeSpan.FromSeconds(1),
            OperationTimeout = TimeSpan.FromSeconds(1),
        });

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StateStoreException>(() => store.TryAddAsync(Message("SM1")).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.StartsWith($"Redis (127.0.0.1:{port}): Logging message SM1 failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifty_concurrent_marks_across_two_hosts_let_exactly_one_through()
    {
        var prefix = RedisServerFixture.FreshPrefix();
        await using var hostA = redis.CreateStore(configure: o => o.KeyPrefix = prefix);
        await using var hostB = redis.CreateStore(configure: o => o.KeyPrefix = prefix);
        await Task.WhenAll(hostA.TryMarkAsync("warm-up", TimeSpan.FromMinutes(1)).AsTask(), hostB.TryMarkAsync("warm-up", TimeSpan.FromMinutes(1)).AsTask());

        using var start = new ManualResetEventSlim();
        var marks = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await (i % 2 == 0 ? hostA : hostB).TryMarkAsync("in:SMrace", TimeSpan.FromHours(1));
        })).ToArray();
        start.Set();

        Assert.Single(await Task.WhenAll(marks), first => first);
    }

    [Fact]
    public async Task Keys_carry_the_prefix_messages_expire_and_consent_does_not()
    {
        await using var store = redis.CreateStore(configure: o => o.MessageRetention = TimeSpan.FromDays(2));
        await store.TryAddAsync(Message("SM1"));
        await store.AddStatusAsync("SM1", null, new LoggedStatus("sent", DeliveryState.Sent, null, T0));
        await store.SetOptedOutAsync("caller-a", "+15550001", optedOut: true, T0);
        await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1));

        await using var connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
        var server = connection.GetServer(Server.ConnectionString);
        var database = connection.GetDatabase();
        var keys = server.Keys(pattern: "*").Select(k => (string)k!).Where(k => k.StartsWith(store.KeyPrefix, StringComparison.Ordinal)).ToList();

        Assert.Contains(store.KeyPrefix + "msg:o:SM1", keys);
        Assert.Contains(store.KeyPrefix + "hist:o:SM1", keys);
        foreach (var key in new[] { "msg:o:SM1", "hist:o:SM1", "call:CA1", "caller:caller-a" })
        {
            var ttl = await database.KeyTimeToLiveAsync(store.KeyPrefix + key);
            Assert.True(ttl is { } t && t > TimeSpan.FromDays(1.9) && t <= TimeSpan.FromDays(2), $"{key}: {ttl}");
        }

        Assert.Null(await database.KeyTimeToLiveAsync(store.KeyPrefix + "consent:caller-a:+15550001"));
        Assert.True(await database.KeyTimeToLiveAsync(store.KeyPrefix + "dedupe:in:SM1") <= TimeSpan.FromHours(1));
        Assert.Equal($"Redis ({Server.ConnectionString}, prefix {store.KeyPrefix})", store.ToString());
    }

    [Fact]
    public async Task Times_round_trip_to_the_tick_and_the_cutoff_is_exact_to_the_tick()
    {
        await using var store = redis.CreateStore();
        var at = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        await store.TryAddAsync(Message("SM-a", at));
        await store.TryAddAsync(Message("SM-b", at.AddTicks(1)));
        await store.SetOptedOutAsync("caller-a", "+15550001", optedOut: true, at);
        await store.RecordWhatsAppInboundAsync("caller-a", "+15550001", at.AddTicks(3));
        await store.RecordWhatsAppInboundAsync("caller-a", "+15550001", at.AddTicks(2));

        Assert.Equal(at.UtcTicks, (await store.FindAsync("SM-a"))!.CreatedAt.UtcTicks);
        Assert.Equal(at.AddTicks(3), (await store.GetAsync("caller-a", "+15550001")).LastWhatsAppInbound);
        Assert.Equal("SM-b", (await store.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", at.AddTicks(1)))?.MessageId);

        Assert.Equal(1, await store.DeleteOlderThanAsync(at.AddTicks(1)));
        Assert.Equal(["SM-b"], (await store.GetCallAsync("CA1")).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Deleting_more_than_one_batch_deletes_them_all()
    {
        await using var store = redis.CreateStore();
        for (var i = 0; i < 1_200; i++)
        {
            await store.TryAddAsync(Message($"SM{i}", T0.AddSeconds(-i)));
        }

        Assert.Equal(1_100, await store.DeleteOlderThanAsync(T0.AddSeconds(-99)));
        Assert.Equal(100, (await store.GetCallAsync("CA1")).Count);
    }

    [Fact]
    public async Task Forgetting_a_caller_removes_their_messages_from_every_index()
    {
        await using var store = redis.CreateStore();
        await store.TryAddAsync(Message("ref-1") with { ClientReference = "ref-1" });
        await store.AddStatusAsync("SM9", "ref-1", new LoggedStatus("sent", DeliveryState.Sent, null, T0));

        Assert.Equal(1, await store.ForgetCallerAsync("caller-a"));

        Assert.Empty(await store.GetCallAsync("CA1"));
        Assert.Null(await store.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", T0.AddDays(-1)));
        Assert.Equal(0, await store.DeleteOlderThanAsync(T0.AddDays(1)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:6379,nonsense-option=1")]
    public void Invalid_connection_strings_fail_naming_the_setting(string connectionString)
    {
        var error = Assert.Throws<ArgumentException>(() => new RedisStateStore(new RedisStoreOptions { ConnectionString = connectionString }));
        Assert.Contains("ConnectionStrings:InCallMessaging", error.Message, StringComparison.Ordinal);
    }

    private static LoggedMessage Message(string messageId, DateTimeOffset? createdAt = null) => TestMessages.Sent(messageId, createdAt ?? T0);

    /// <summary>Retries an operation while the store reconnects after a restart.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> operation)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (StateStoreException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
