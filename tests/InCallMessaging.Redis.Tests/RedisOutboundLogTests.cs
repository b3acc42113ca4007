using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests;

/// <summary>
/// How the Redis store cleans up after outbound messages, beyond the contract: when Redis expires a message's hash
/// before the retention job or an erasure gets to it, its entries in the call, conversation and caller indexes still go.
/// </summary>
public sealed class RedisOutboundLogTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_index_entries_of_outbound_messages_Redis_expired_first_go_with_retention_and_erasure()
    {
        await using var store = redis.CreateStore();
        Assert.True(await store.TryAddAsync(TestMessages.Sent("SM-a", T0)));
        // Logged under its client reference, then renamed by its first status: its index keys follow it.
        Assert.True(await store.TryAddAsync(TestMessages.Sent("ref-b", T0.AddSeconds(1)) with { ClientReference = "ref-b" }));
        Assert.True(await store.AddStatusAsync("SM-b", "ref-b", new LoggedStatus("sent", DeliveryState.Sent, null, T0.AddSeconds(2))));
        Assert.True(await store.TryAddAsync(TestMessages.Sent("SM-c", T0.AddMinutes(5))));

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var database = connection.GetDatabase();
        var prefix = store.KeyPrefix;
        var call = prefix + "call:CA1";
        var conversation = (string)store.LoggedConversationKey(MessageChannel.Sms, "caller-a", "+15550001")!;
        var caller = prefix + "caller:caller-a";
        var indexKeys = prefix + "index:out";
        Assert.Equal(["o:SM-a", "o:SM-b", "o:SM-c"], await FieldsAsync(database, indexKeys));
        Assert.Equal($"[\"{call}\",\"{conversation}\",\"{caller}\"]".Replace("/", "\\/", StringComparison.Ordinal),
            (string?)await database.HashGetAsync(indexKeys, "o:SM-b"));

        // Redis expires the two older messages (their TTL ran out) before the retention job runs.
        foreach (var member in new[] { "o:SM-a", "o:SM-b" })
        {
            Assert.True(await database.KeyExpireAsync(prefix + "msg:" + member, TimeSpan.FromMilliseconds(1)));
            await database.KeyExpireAsync(prefix + "hist:" + member, TimeSpan.FromMilliseconds(1));
        }

        await Task.Delay(20);
        // Neither is counted (Redis deleted them), but every index entry of theirs goes.
        Assert.Equal(0, await store.DeleteOlderThanAsync(T0.AddMinutes(1)));
        Assert.Equal(["o:SM-c"], await SortedAsync(database, call));
        Assert.Equal(["o:SM-c"], await SortedAsync(database, conversation));
        Assert.Equal(["o:SM-c"], (await database.SetMembersAsync(caller)).Select(m => (string)m!));
        Assert.Equal(["o:SM-c"], await SortedAsync(database, prefix + "messages"));
        Assert.Equal(["o:SM-c"], await FieldsAsync(database, indexKeys));

        // Erasure likewise: the caller's last message expired before the caller asked to be forgotten.
        Assert.True(await database.KeyExpireAsync(prefix + "msg:o:SM-c", TimeSpan.FromMilliseconds(1)));
        await Task.Delay(20);
        Assert.Equal(0, await store.ForgetCallerAsync("caller-a"));
        foreach (var key in new[] { call, conversation, caller, prefix + "messages", indexKeys })
        {
            Assert.False(await database.KeyExistsAsync(key), key);
        }
    }

    private static async Task<string[]> SortedAsync(IDatabase database, string key) =>
        [.. (await database.SortedSetRangeByRankAsync(key)).Select(m => (string)m!)];

    private static async Task<string[]> FieldsAsync(IDatabase database, string key) =>
        [.. (await database.HashKeysAsync(key)).Select(m => (string)m!).Order(StringComparer.Ordinal)];
}
