using System.Globalization;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests;

/// <summary>
/// How the Redis store keeps inbound messages, beyond the contract: one string each (written once), index keys that
/// live as long as their messages, lists by creation minute that the retention job empties whole, and inbound messages
/// logged as hashes by earlier versions, which are still read and erased.
/// </summary>
public sealed class RedisInboundLogTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    // On a minute boundary, so tests can place messages in known minutes.
    private static readonly DateTimeOffset Minute0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_inbound_message_is_one_string_with_its_index_keys_kept_at_least_as_long()
    {
        await using var store = redis.CreateStore(configure: o => o.MessageRetention = TimeSpan.FromDays(2));
        var history = new LoggedStatus("received", DeliveryState.Delivered, null, Minute0.AddTicks(7));
        var message = Inbound("SM1", Minute0.AddSeconds(30)) with
        {
            StatusHistory = [history],
            MediaUrls = ["https://api.twilio.com/media/ME1"],
            ClientReference = "ref-1",
        };
        Assert.True(await store.RecordInboundAsync(message, "in:SM1", TimeSpan.FromDays(1)));

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var database = connection.GetDatabase();
        var prefix = store.KeyPrefix;
        Assert.Equal(RedisType.String, await database.KeyTypeAsync(prefix + "msg:i:SM1"));
        Assert.False(await database.KeyExistsAsync(prefix + "hist:i:SM1"));
        var ttl = await database.KeyTimeToLiveAsync(prefix + "msg:i:SM1");
        Assert.True(ttl is { } t && t > TimeSpan.FromDays(1.9) && t <= TimeSpan.FromDays(2), $"message: {ttl}");
        foreach (var index in new[] { "in:call:CA1", "in:caller:caller-a", "in:minute:" + MinuteOf(message.CreatedAt) })
        {
            // At least as long as the message; at most two minutes longer (its TTL is not rewritten on every add).
            var kept = await database.KeyTimeToLiveAsync(prefix + index);
            Assert.True(kept is { } k && k >= ttl && k <= TimeSpan.FromDays(2) + TimeSpan.FromMinutes(2), $"{index}: {kept}");
        }

        Assert.Equal(MinuteOf(message.CreatedAt), await database.SortedSetScoreAsync(prefix + "in:minutes", prefix + "in:minute:" + MinuteOf(message.CreatedAt)));
        var logged = await store.FindAsync("SM1");
        Assert.NotNull(logged);
        Assert.Equal(MessageDirection.Inbound, logged.Direction);
        Assert.Equal(message.CreatedAt.UtcTicks, logged.CreatedAt.UtcTicks);
        Assert.Equal([history], logged.StatusHistory);
        Assert.Equal(message.MediaUrls, logged.MediaUrls);
        Assert.Equal("ref-1", logged.ClientReference);
        Assert.Equal("Yes, Tuesday works", logged.Text);
    }

    [Fact]
    public async Task Retention_empties_whole_minutes_in_batches_and_cuts_the_cutoffs_minute_to_the_tick()
    {
        await using var store = redis.CreateStore();
        // 700 messages in the minute two before the cutoff's (more than one batch of 500), 100 in the next, and three
        // in the cutoff's own minute a tick apart.
        var cutoff = Minute0.AddMinutes(2).AddSeconds(30).AddTicks(5);
        var messages = Enumerable.Range(0, 700).Select(i => Inbound($"SM-a{i}", Minute0.AddMilliseconds(i * 10)))
            .Concat(Enumerable.Range(0, 100).Select(i => Inbound($"SM-b{i}", Minute0.AddMinutes(1).AddMilliseconds(i))))
            .Concat([Inbound("SM-c4", cutoff.AddTicks(-1)), Inbound("SM-c5", cutoff), Inbound("SM-c6", cutoff.AddTicks(1))]);
        Assert.All(await Task.WhenAll(messages.Select(m => store.RecordInboundAsync(m, "in:" + m.MessageId, TimeSpan.FromDays(1)).AsTask())),
            recorded => Assert.True(recorded));

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var database = connection.GetDatabase();
        var prefix = store.KeyPrefix;
        // One of the older ones was erased before, and Redis expired another before the job ran: neither is counted,
        // and the expired one's call and caller entries go all the same.
        Assert.Equal(1, await store.ForgetCallerAsync("caller-gone"));
        Assert.True(await database.KeyExpireAsync(prefix + "msg:i:SM-a8", TimeSpan.FromMilliseconds(1)));
        await Task.Delay(20);
        Assert.Equal(799, await store.DeleteOlderThanAsync(cutoff));

        Assert.Equal(["SM-c5", "SM-c6"], (await store.GetCallAsync("CA1")).Select(m => m.MessageId));
        Assert.False(await database.KeyExistsAsync(prefix + "in:minute:" + MinuteOf(Minute0)));
        Assert.False(await database.KeyExistsAsync(prefix + "in:minute:" + MinuteOf(Minute0.AddMinutes(1))));
        Assert.Equal([prefix + "in:minute:" + MinuteOf(cutoff)], (await database.SortedSetRangeByRankAsync(prefix + "in:minutes")).Select(m => (string)m!));
        Assert.Equal(["i:SM-c5", "i:SM-c6"], (await database.ListRangeAsync(prefix + "in:caller:caller-a")).Select(m => (string)m!));
        Assert.Equal(["i:SM-c5", "i:SM-c6"], (await database.ListRangeAsync(prefix + "in:call:CA1")).Select(m => (string)m!));
        Assert.Equal(0, await store.DeleteOlderThanAsync(cutoff));
        Assert.Equal(2, await store.DeleteOlderThanAsync(cutoff.AddMinutes(1)));
        Assert.Empty(await database.SortedSetRangeByRankAsync(prefix + "in:minutes"));
    }

    [Fact]
    public async Task Inbound_messages_logged_as_hashes_by_an_earlier_version_are_still_read_and_erased()
    {
        await using var store = redis.CreateStore();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var database = connection.GetDatabase();
        var prefix = store.KeyPrefix;
        var at = Minute0.AddSeconds(5);
        // An inbound message as versions before the string format wrote it: a hash naming its index keys, in the
        // all-messages index.
        await database.HashSetAsync(prefix + "msg:i:SM-old",
        [
            new("id", "SM-old"), new("dir", 1), new("ch", 0), new("sn", "default"), new("si", "+15550001"),
            new("ck", "caller-a"), new("cr", "+1415***0100"), new("h", "0123abcd"), new("at", at.UtcTicks.ToString(CultureInfo.InvariantCulture)),
            new("st", "received"), new("state", (int)DeliveryState.Delivered), new("_caller", prefix + "caller:caller-a"),
            new("call", "CA1"), new("_call", prefix + "call:CA1"), new("tx", "an older reply"),
        ]);
        var score = at.ToUnixTimeMilliseconds();
        await database.SortedSetAddAsync(prefix + "messages", "i:SM-old", score);
        await database.SortedSetAddAsync(prefix + "call:CA1", "i:SM-old", score);
        await database.SetAddAsync(prefix + "caller:caller-a", "i:SM-old");
        await store.RecordInboundAsync(Inbound("SM-new", at.AddSeconds(1)), "in:SM-new", TimeSpan.FromDays(1));

        Assert.Equal("an older reply", (await store.FindAsync("SM-old"))?.Text);
        Assert.Equal(["SM-old", "SM-new"], (await store.GetCallAsync("CA1")).Select(m => m.MessageId));
        // Its own key is still its mark: a redelivery is not logged again.
        Assert.False(await store.RecordInboundAsync(Inbound("SM-old", at), "in:SM-old", TimeSpan.FromDays(1)));

        Assert.Equal(2, await store.ForgetCallerAsync("caller-a"));
        Assert.Empty(await store.GetCallAsync("CA1"));
        Assert.False(await database.KeyExistsAsync(prefix + "msg:i:SM-old"));
        Assert.Equal(0, await database.SortedSetLengthAsync(prefix + "messages"));
    }

    private static long MinuteOf(DateTimeOffset at) => (long)Math.Floor(at.ToUnixTimeMilliseconds() / 60_000.0);

    private static LoggedMessage Inbound(string messageId, DateTimeOffset createdAt) =>
        TestMessages.Received(messageId, "Yes, Tuesday works", createdAt) with { CallerKey = messageId == "SM-a7" ? "caller-gone" : "caller-a" };
}
