namespace InCallMessaging.SemanticKernel.Tests.State;

/// <summary>What the in-memory log adds to the state-store contract: its bound, and indexes that follow what it evicts.</summary>
public sealed class InMemoryMessageLogTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Past_its_capacity_the_oldest_messages_go_first_from_every_index()
    {
        var log = new InMemoryMessageLog(capacity: 3);
        await log.TryAddAsync(Outbound("SM1", "CA1", "caller-a", T0));
        await log.TryAddAsync(Outbound("SM2", "CA2", "caller-b", T0.AddSeconds(1)));
        await log.TryAddAsync(Outbound("SM3", "CA1", "caller-c", T0.AddSeconds(2)));

        Assert.True(await log.TryAddAsync(Outbound("SM4", "CA3", "caller-d", T0.AddSeconds(3))));

        Assert.Equal(3, log.Count);
        Assert.Null(await log.FindAsync("SM1"));
        Assert.Equal(["SM3"], (await log.GetCallAsync("CA1")).Select(m => m.MessageId));
        Assert.Null(await log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", T0.AddDays(-1)));
        Assert.Equal("SM2", (await log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-b", "+15550001", T0.AddDays(-1)))?.MessageId);
        // An evicted id is new again (the deduplication store, not the log, remembers deliveries).
        Assert.True(await log.TryAddAsync(Outbound("SM1", "CA1", "caller-a", T0.AddSeconds(4))));
        Assert.Empty(await log.GetCallAsync("CA2"));
    }

    [Fact]
    public async Task A_message_renamed_by_its_status_is_evicted_under_its_new_id()
    {
        var log = new InMemoryMessageLog(capacity: 2);
        await log.TryAddAsync(Outbound("ref-1", "CA1", "caller-a", T0));
        Assert.True(await log.AddStatusAsync("SM1", "ref-1", new LoggedStatus("sent", DeliveryState.Sent, null, T0.AddSeconds(1))));
        Assert.Equal(DeliveryState.Sent, (await log.FindAsync("SM1"))?.State);
        Assert.Null(await log.FindAsync("ref-1"));

        await log.TryAddAsync(Outbound("SM2", "CA1", "caller-b", T0.AddSeconds(2)));
        await log.TryAddAsync(Outbound("SM3", "CA1", "caller-c", T0.AddSeconds(3)));

        Assert.Equal(2, log.Count);
        Assert.Null(await log.FindAsync("SM1"));
        Assert.Equal(["SM2", "SM3"], (await log.GetCallAsync("CA1")).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Erased_messages_free_their_place_and_leave_the_rest_in_order()
    {
        var log = new InMemoryMessageLog(capacity: 3);
        await log.TryAddAsync(Outbound("SM1", "CA1", "caller-a", T0));
        await log.TryAddAsync(Outbound("SM2", "CA1", "caller-b", T0.AddSeconds(1)));
        await log.TryAddAsync(Outbound("SM3", "CA1", "caller-a", T0.AddSeconds(2)));

        Assert.Equal(2, await log.ForgetCallerAsync("caller-a"));
        await log.TryAddAsync(Outbound("SM4", "CA1", "caller-c", T0.AddSeconds(3)));
        await log.TryAddAsync(Outbound("SM5", "CA1", "caller-c", T0.AddSeconds(4)));

        Assert.Equal(3, log.Count);
        Assert.Equal(["SM2", "SM4", "SM5"], (await log.GetCallAsync("CA1")).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Concurrent_adds_past_the_capacity_keep_exactly_the_capacity()
    {
        var log = new InMemoryMessageLog(capacity: 100);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                Assert.True(await log.TryAddAsync(Outbound($"SM-{worker}-{i}", $"CA{i % 7}", $"caller-{i % 13}", T0.AddMilliseconds(i))));
            }
        })));

        Assert.Equal(100, log.Count);
        var kept = 0;
        for (var call = 0; call < 7; call++)
        {
            kept += (await log.GetCallAsync($"CA{call}")).Count;
        }

        Assert.Equal(100, kept);
    }

    private static LoggedMessage Outbound(string id, string callId, string callerKey, DateTimeOffset at) => new()
    {
        MessageId = id,
        Direction = MessageDirection.Outbound,
        Channel = MessageChannel.Sms,
        CallId = callId,
        SenderName = "default",
        SenderIdentity = "+15550001",
        CallerKey = callerKey,
        Caller = "+1415***0100",
        ContentHash = "0123abcd",
        CreatedAt = at,
        Status = "sent",
    };
}
