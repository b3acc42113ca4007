using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>
/// The in-memory dedupe store: the plugin's own keys (Twilio SIDs) are packed into values, everything else stays a
/// string; either way a key is remembered exactly until its retention ends.
/// </summary>
public sealed class InMemoryDeduplicationStoreTests
{
    private const string Sid = "SM0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-22T10:00:00Z", CultureInfo.InvariantCulture);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    [Theory]
    [InlineData("in:" + Sid)]
    [InlineData("status:" + Sid + ":delivered")]
    [InlineData("status:" + Sid + ":partially_delivered")]
    [InlineData("status:" + Sid + ":some_future_status")]
    [InlineData("in:SM0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("in:SM123")]
    [InlineData("custom:anything at all")]
    public async Task Any_key_is_marked_once(string key)
    {
        var store = new InMemoryDeduplicationStore(new FakeTimeProvider(Now));

        Assert.True(await store.TryMarkAsync(key, Day));
        Assert.False(await store.TryMarkAsync(key, Day));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task A_store_with_room_reserved_remembers_like_one_without_and_grows_past_it()
    {
        var reserved = new InMemoryDeduplicationStore(1_000, new FakeTimeProvider(Now));
        var growing = new InMemoryDeduplicationStore(new FakeTimeProvider(Now));
        var keys = Enumerable.Range(0, 5_000).Select(i => $"in:SM{i:x32}").ToList();

        foreach (var key in keys)
        {
            Assert.True(await reserved.TryMarkAsync(key, Day));
            Assert.True(await growing.TryMarkAsync(key, Day));
        }

        foreach (var key in keys)
        {
            Assert.False(await reserved.TryMarkAsync(key, Day));
        }

        Assert.Equal(5_000, reserved.Count);
        Assert.Equal(growing.Count, reserved.Count);
        Assert.Equal(1_000, reserved.ReservedCapacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryDeduplicationStore(-1));
    }

    [Fact]
    public async Task Purging_keeps_the_reserved_room_and_trims_what_grew_beyond_it()
    {
        var time = new FakeTimeProvider(Now);
        var reserved = new InMemoryDeduplicationStore(32_000, time);
        var growing = new InMemoryDeduplicationStore(time);
        for (var i = 0; i < 64_000; i++)
        {
            await reserved.TryMarkAsync($"in:SM{i:x32}", TimeSpan.FromMinutes(1));
            await growing.TryMarkAsync($"in:SM{i:x32}", TimeSpan.FromMinutes(1));
        }

        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(64_000, reserved.Purge());
        Assert.Equal(64_000, growing.Purge());
        Assert.InRange(reserved.SidCapacity, 32_000, 40_000);
        Assert.True(growing.SidCapacity < 1_000, $"an empty store without reserved room gives its tables back ({growing.SidCapacity})");
    }

    [Fact]
    public async Task Keys_that_differ_anywhere_are_different()
    {
        var store = new InMemoryDeduplicationStore(new FakeTimeProvider(Now));
        string[] keys =
        [
            "in:" + Sid,
            "in:MM" + Sid[2..],
            "in:" + Sid[..^1] + "0",
            "status:" + Sid + ":sent",
            "status:" + Sid + ":delivered",
            "status:MM" + Sid[2..] + ":delivered",
            "in:SM0123456789ABCDEF0123456789ABCDEF",
            "in:" + Sid + ":delivered",
            "status:" + Sid,
        ];

        foreach (var key in keys)
        {
            Assert.True(await store.TryMarkAsync(key, Day), key);
        }

        foreach (var key in keys)
        {
            Assert.False(await store.TryMarkAsync(key, Day), key);
        }

        Assert.Equal(keys.Length, store.Count);
    }

    [Fact]
    public async Task Concurrent_marks_of_one_key_let_exactly_one_through()
    {
        var store = new InMemoryDeduplicationStore();
        for (var round = 0; round < 50; round++)
        {
            var key = "in:SM" + round.ToString("x32", CultureInfo.InvariantCulture);
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.TryMarkAsync(key, Day).AsTask())));

            Assert.Equal(1, results.Count(first => first));
        }
    }

    [Fact]
    public async Task Purge_removes_only_expired_keys_of_both_kinds()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryDeduplicationStore(time);
        await store.TryMarkAsync("in:" + Sid, TimeSpan.FromMinutes(1));
        await store.TryMarkAsync("custom:short", TimeSpan.FromMinutes(1));
        await store.TryMarkAsync("status:" + Sid + ":sent", TimeSpan.FromMinutes(5));
        await store.TryMarkAsync("custom:long", TimeSpan.FromMinutes(5));

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(2, store.Purge());
        Assert.Equal(2, store.Count);
        Assert.True(await store.TryMarkAsync("in:" + Sid, Day));
        Assert.True(await store.TryMarkAsync("custom:short", Day));
        Assert.False(await store.TryMarkAsync("status:" + Sid + ":sent", Day));
        Assert.False(await store.TryMarkAsync("custom:long", Day));
    }

    [Fact]
    public async Task Many_keys_are_all_remembered_and_all_purged_when_expired()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryDeduplicationStore(time);
        const int count = 20_000;
        for (var i = 0; i < count; i++)
        {
            Assert.True(await store.TryMarkAsync("in:SM" + i.ToString("x32", CultureInfo.InvariantCulture), TimeSpan.FromMinutes(1)));
        }

        Assert.Equal(count, store.Count);
        Assert.False(await store.TryMarkAsync("in:SM" + 12345.ToString("x32", CultureInfo.InvariantCulture), TimeSpan.FromMinutes(1)));

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(count, store.Purge());
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Expired_keys_are_dropped_as_new_keys_arrive_without_a_purge_call()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryDeduplicationStore(time);
        for (var i = 0; i < 1_000; i++)
        {
            await store.TryMarkAsync("in:SM" + i.ToString("x32", CultureInfo.InvariantCulture), TimeSpan.FromMinutes(1));
        }

        time.Advance(InMemoryDeduplicationStore.PurgeInterval + TimeSpan.FromMinutes(1));
        for (var i = 1_000; i < 2_000; i++)
        {
            await store.TryMarkAsync("in:SM" + i.ToString("x32", CultureInfo.InvariantCulture), Day);
        }

        Assert.Equal(1_000, store.Count);
        Assert.Equal(0, store.Purge());
    }
}
