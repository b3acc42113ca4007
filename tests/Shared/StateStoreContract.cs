using InCallMessaging.SemanticKernel;
using Xunit;

namespace InCallMessaging.Testing;

/// <summary>
/// The contract every state store keeps (<see cref="IConsentStore"/>, <see cref="IMessageLog"/>,
/// <see cref="IDeduplicationStore"/>, <see cref="IScheduledMessageStore"/>): one suite, derived once per implementation, so in-memory, SQLite and any later
/// store answer alike.
/// </summary>
/// <remarks>Times are whole milliseconds: a store must round-trip them at least to the millisecond.</remarks>
public abstract class StateStoreContractTests : IAsyncLifetime
{
    /// <summary>A time with whole milliseconds, away from UTC so offsets are seen to be kept as instants.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, 123, TimeSpan.FromHours(2));

    private StateStores? _stores;

    /// <summary>The clock the deduplication store measures retention by.</summary>
    protected ManualClock Clock { get; } = new(T0.AddDays(-1));

    /// <summary>The stores under test.</summary>
    protected StateStores Stores => _stores ?? throw new InvalidOperationException("InitializeAsync has not run.");

    private IConsentStore Consent => Stores.Consent;

    private IMessageLog Log => Stores.Log;

    private IDeduplicationStore Dedupe => Stores.Deduplication;

    private IScheduledMessageStore Scheduled => Stores.Scheduled;

    /// <summary>Creates fresh, empty stores on <paramref name="clock"/>.</summary>
    protected abstract Task<StateStores> CreateStoresAsync(TimeProvider clock);

    /// <inheritdoc />
    public async Task InitializeAsync() => _stores = await CreateStoresAsync(Clock);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_stores?.DisposeAsync is { } dispose)
        {
            await dispose();
        }
    }

    // ---- Consent ----

    [Fact]
    public async Task Consent_of_an_unknown_caller_is_the_default()
    {
        Assert.Equal(default, await Consent.GetAsync("caller", "+15550001"));
    }

    [Fact]
    public async Task Opting_out_and_back_in_reports_each_change_once()
    {
        Assert.True(await Consent.SetOptedOutAsync("caller", "+15550001", optedOut: true, T0));
        Assert.True((await Consent.GetAsync("caller", "+15550001")).OptedOut);
        Assert.False(await Consent.SetOptedOutAsync("caller", "+15550001", optedOut: true, T0.AddMinutes(1)));

        Assert.True(await Consent.SetOptedOutAsync("caller", "+15550001", optedOut: false, T0.AddMinutes(2)));
        Assert.False((await Consent.GetAsync("caller", "+15550001")).OptedOut);
        Assert.False(await Consent.SetOptedOutAsync("caller", "+15550001", optedOut: false, T0.AddMinutes(3)));
    }

    [Fact]
    public async Task Opting_in_without_an_opt_out_changes_nothing()
    {
        Assert.False(await Consent.SetOptedOutAsync("caller", "+15550001", optedOut: false, T0));
        Assert.False((await Consent.GetAsync("caller", "+15550001")).OptedOut);
    }

    [Fact]
    public async Task WhatsApp_inbound_time_only_moves_forward()
    {
        await Consent.RecordWhatsAppInboundAsync("caller", "+15550001", T0);
        Assert.Equal(T0, (await Consent.GetAsync("caller", "+15550001")).LastWhatsAppInbound);

        await Consent.RecordWhatsAppInboundAsync("caller", "+15550001", T0.AddMinutes(-5));
        Assert.Equal(T0, (await Consent.GetAsync("caller", "+15550001")).LastWhatsAppInbound);

        await Consent.RecordWhatsAppInboundAsync("caller", "+15550001", T0.AddMinutes(5));
        Assert.Equal(T0.AddMinutes(5), (await Consent.GetAsync("caller", "+15550001")).LastWhatsAppInbound);
    }

    [Fact]
    public async Task Opt_out_and_WhatsApp_time_are_kept_together()
    {
        await Consent.RecordWhatsAppInboundAsync("caller", "+15550001", T0);
        await Consent.SetOptedOutAsync("caller", "+15550001", optedOut: true, T0.AddMinutes(1));
        Assert.Equal(new ConsentRecord(true, T0), await Consent.GetAsync("caller", "+15550001"));

        await Consent.RecordWhatsAppInboundAsync("caller", "+15550001", T0.AddMinutes(2));
        Assert.Equal(new ConsentRecord(true, T0.AddMinutes(2)), await Consent.GetAsync("caller", "+15550001"));
    }

    [Fact]
    public async Task Consent_is_kept_per_caller_and_sending_identity()
    {
        await Consent.SetOptedOutAsync("caller-a", "+15550001", optedOut: true, T0);
        await Consent.RecordWhatsAppInboundAsync("caller-a", "+15550002", T0);

        Assert.Equal(new ConsentRecord(true, null), await Consent.GetAsync("caller-a", "+15550001"));
        Assert.Equal(new ConsentRecord(false, T0), await Consent.GetAsync("caller-a", "+15550002"));
        Assert.Equal(default, await Consent.GetAsync("caller-b", "+15550001"));
        Assert.Equal(default, await Consent.GetAsync("caller-b", "+15550002"));
    }

    // ---- Deduplication ----

    [Fact]
    public async Task A_key_is_new_the_first_time_only()
    {
        Assert.True(await Dedupe.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.False(await Dedupe.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.True(await Dedupe.TryMarkAsync("in:SM2", TimeSpan.FromHours(1)));
        Assert.True(await Dedupe.TryMarkAsync("status:SM1:delivered", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task A_key_is_remembered_for_its_retention_and_new_again_after()
    {
        Assert.True(await Dedupe.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));

        Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.False(await Dedupe.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));

        Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await Dedupe.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.False(await Dedupe.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task Concurrent_marks_of_one_key_let_exactly_one_through()
    {
        using var start = new ManualResetEventSlim();
        var marks = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await Dedupe.TryMarkAsync("in:SMconcurrent", TimeSpan.FromHours(1));
        })).ToArray();
        start.Set();

        var results = await Task.WhenAll(marks);

        Assert.Single(results, first => first);
    }

    // ---- Message log ----

    [Fact]
    public async Task Logging_a_message_twice_is_recognized_as_a_redelivery()
    {
        Assert.True(await Log.TryAddAsync(Outbound("SM1")));
        Assert.False(await Log.TryAddAsync(Outbound("SM1") with { Status = "delivered" }));

        Assert.Equal("queued", (await Log.FindAsync("SM1"))!.Status);
    }

    [Fact]
    public async Task One_id_in_both_directions_is_two_messages_and_find_prefers_outbound()
    {
        Assert.True(await Log.TryAddAsync(Inbound("SM1")));
        Assert.Equal(MessageDirection.Inbound, (await Log.FindAsync("SM1"))!.Direction);

        Assert.True(await Log.TryAddAsync(Outbound("SM1")));
        Assert.Equal(MessageDirection.Outbound, (await Log.FindAsync("SM1"))!.Direction);
        Assert.Equal(2, (await Log.GetCallAsync("CA1")).Count);
        Assert.Null(await Log.FindAsync("SM-unknown"));
    }

    [Fact]
    public async Task A_call_lists_its_messages_oldest_first()
    {
        await Log.TryAddAsync(Outbound("SM3", createdAt: T0.AddMinutes(3)));
        await Log.TryAddAsync(Inbound("SM1", createdAt: T0.AddMinutes(1)));
        await Log.TryAddAsync(Outbound("SM2", createdAt: T0.AddMinutes(2)));
        await Log.TryAddAsync(Outbound("SM-other", callId: "CA2", createdAt: T0));

        var call = await Log.GetCallAsync("CA1");

        Assert.Equal(["SM1", "SM2", "SM3"], call.Select(m => m.MessageId));
        Assert.Empty(await Log.GetCallAsync("CA-unknown"));
    }

    [Fact]
    public async Task Messages_round_trip_every_field()
    {
        var full = Outbound("SM1") with
        {
            Channel = MessageChannel.WhatsApp,
            ActionName = "send_link",
            Text = "Your link: https://example.com/x",
            TemplateId = "HX0123456789abcdef0123456789abcdef",
            MediaUrls = ["https://example.com/a.png", "https://example.com/b \"quoted\".pdf"],
            ClientReference = "ref-1",
            InReplyTo = "SM0",
            State = DeliveryState.Sent,
            ErrorCode = "30003",
            StatusHistory = [new LoggedStatus("sent", DeliveryState.Sent, "30003", T0.AddSeconds(1))],
        };
        var bare = Inbound("SM2") with { CallId = null, Text = null, ActionName = null, MediaUrls = [] };

        await Log.TryAddAsync(full);
        await Log.TryAddAsync(bare);

        AssertSame(full, await Log.FindAsync("SM1"));
        AssertSame(bare, await Log.FindAsync("SM2"));
    }

    [Fact]
    public async Task A_status_found_by_id_becomes_the_latest_and_joins_the_history()
    {
        await Log.TryAddAsync(Outbound("SM1"));

        Assert.True(await Log.AddStatusAsync("SM1", null, new LoggedStatus("failed", DeliveryState.Failed, "30007", T0.AddSeconds(1))));
        Assert.True(await Log.AddStatusAsync("SM1", null, new LoggedStatus("undelivered", DeliveryState.Undelivered, null, T0.AddSeconds(2))));

        var message = (await Log.FindAsync("SM1"))!;
        Assert.Equal("undelivered", message.Status);
        Assert.Equal(DeliveryState.Undelivered, message.State);
        Assert.Equal("30007", message.ErrorCode);
        Assert.Equal(
            [new LoggedStatus("failed", DeliveryState.Failed, "30007", T0.AddSeconds(1)), new LoggedStatus("undelivered", DeliveryState.Undelivered, null, T0.AddSeconds(2))],
            message.StatusHistory);
    }

    [Fact]
    public async Task A_status_found_by_client_reference_renames_the_message()
    {
        await Log.TryAddAsync(Outbound("ref-1") with { ClientReference = "ref-1", Status = "unknown" });

        Assert.True(await Log.AddStatusAsync("SM9", "ref-1", new LoggedStatus("delivered", DeliveryState.Delivered, null, T0.AddSeconds(5))));

        var renamed = (await Log.FindAsync("SM9"))!;
        Assert.Equal("SM9", renamed.MessageId);
        Assert.Equal("ref-1", renamed.ClientReference);
        Assert.Equal(DeliveryState.Delivered, renamed.State);
        Assert.Single(renamed.StatusHistory);
        Assert.Null(await Log.FindAsync("ref-1"));
        Assert.Single(await Log.GetCallAsync("CA1"));

        Assert.True(await Log.AddStatusAsync("SM9", "ref-1", new LoggedStatus("read", DeliveryState.Read, null, T0.AddSeconds(6))));
        Assert.Equal(2, (await Log.FindAsync("SM9"))!.StatusHistory.Count);
    }

    [Fact]
    public async Task A_status_for_an_unknown_or_inbound_message_is_not_applied()
    {
        await Log.TryAddAsync(Inbound("SM1"));
        var status = new LoggedStatus("delivered", DeliveryState.Delivered, null, T0);

        Assert.False(await Log.AddStatusAsync("SM-unknown", null, status));
        Assert.False(await Log.AddStatusAsync("SM-unknown", "ref-unknown", status));
        Assert.False(await Log.AddStatusAsync("SM1", null, status));
        Assert.Equal("received", (await Log.FindAsync("SM1"))!.Status);
    }

    [Fact]
    public async Task The_latest_outbound_is_found_by_channel_caller_identity_and_time()
    {
        await Log.TryAddAsync(Outbound("SM-old", createdAt: T0.AddMinutes(-10)));
        await Log.TryAddAsync(Outbound("SM-new", createdAt: T0.AddMinutes(5)));
        await Log.TryAddAsync(Outbound("SM-mid", createdAt: T0));
        await Log.TryAddAsync(Inbound("SM-in", createdAt: T0.AddMinutes(9)));
        await Log.TryAddAsync(Outbound("SM-nocall", callId: null, createdAt: T0.AddMinutes(8)));
        await Log.TryAddAsync(Outbound("SM-wa", createdAt: T0.AddMinutes(7)) with { Channel = MessageChannel.WhatsApp });
        await Log.TryAddAsync(Outbound("SM-other-caller", createdAt: T0.AddMinutes(7)) with { CallerKey = "caller-b" });
        await Log.TryAddAsync(Outbound("SM-other-sender", createdAt: T0.AddMinutes(7)) with { SenderIdentity = "+15550002" });

        Assert.Equal("SM-new", (await Log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", T0.AddMinutes(-1)))?.MessageId);
        Assert.Equal("SM-new", (await Log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", T0.AddMinutes(5)))?.MessageId);
        Assert.Null(await Log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", T0.AddMinutes(5).AddMilliseconds(1)));
        Assert.Equal("SM-wa", (await Log.FindLatestOutboundAsync(MessageChannel.WhatsApp, "caller-a", "+15550001", T0.AddDays(-1)))?.MessageId);
        Assert.Equal("SM-other-caller", (await Log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-b", "+15550001", T0.AddDays(-1)))?.MessageId);
        Assert.Equal("SM-other-sender", (await Log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550002", T0.AddDays(-1)))?.MessageId);
        Assert.Null(await Log.FindLatestOutboundAsync(MessageChannel.Sms, "caller-c", "+15550001", T0.AddDays(-1)));
    }

    [Fact]
    public async Task Forgetting_a_caller_erases_their_messages_and_keeps_consent()
    {
        await Log.TryAddAsync(Outbound("SM1"));
        await Log.TryAddAsync(Inbound("SM2"));
        await Log.AddStatusAsync("SM1", null, new LoggedStatus("delivered", DeliveryState.Delivered, null, T0));
        await Log.TryAddAsync(Outbound("SM3") with { CallerKey = "caller-b" });
        await Consent.SetOptedOutAsync("caller-a", "+15550001", optedOut: true, T0);

        Assert.Equal(2, await Log.ForgetCallerAsync("caller-a"));

        Assert.Null(await Log.FindAsync("SM1"));
        Assert.Null(await Log.FindAsync("SM2"));
        Assert.NotNull(await Log.FindAsync("SM3"));
        Assert.True((await Consent.GetAsync("caller-a", "+15550001")).OptedOut);
        Assert.Equal(0, await Log.ForgetCallerAsync("caller-a"));
    }

    [Fact]
    public async Task Messages_older_than_the_cutoff_are_deleted()
    {
        await Log.TryAddAsync(Outbound("SM-old", createdAt: T0.AddDays(-31)));
        await Log.TryAddAsync(Inbound("SM-edge", createdAt: T0.AddDays(-30)));
        await Log.TryAddAsync(Outbound("SM-new", createdAt: T0));

        Assert.Equal(1, await Log.DeleteOlderThanAsync(T0.AddDays(-30)));

        Assert.Equal(["SM-edge", "SM-new"], (await Log.GetCallAsync("CA1")).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Concurrent_logging_of_distinct_messages_keeps_them_all()
    {
        var writes = Enumerable.Range(0, 20).Select(task => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                Assert.True(await Log.TryAddAsync(Outbound($"SM-{task}-{i}", createdAt: T0.AddMilliseconds((task * 25) + i))));
            }
        }));

        await Task.WhenAll(writes);

        Assert.Equal(500, (await Log.GetCallAsync("CA1")).Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task An_inbound_message_is_recorded_once_and_only_its_first_delivery_is_first()
    {
        // As the reply hub records one: in one write when the store is a recorder, else a log write and a mark.
        async Task<bool> RecordAsync(LoggedMessage inbound)
        {
            if (Log is IInboundMessageRecorder recorder && ReferenceEquals(Log, Dedupe))
            {
                return await recorder.RecordInboundAsync(inbound, "in:" + inbound.MessageId, TimeSpan.FromDays(1));
            }

            await Log.TryAddAsync(inbound);
            return await Dedupe.TryMarkAsync("in:" + inbound.MessageId, TimeSpan.FromDays(1));
        }

        var message = Inbound("SM9");
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => RecordAsync(message))));

        Assert.Single(concurrent, first => first);
        Assert.False(await RecordAsync(message));
        Assert.Equal(MessageDirection.Inbound, (await Log.FindAsync("SM9"))?.Direction);
        Assert.Equal(["SM9"], (await Log.GetCallAsync("CA1")).Select(m => m.MessageId));
        // Logged once by the recorder, the message is no new entry for the log either (a hand-off's idempotent write).
        Assert.False(await Log.TryAddAsync(message));
    }

    [Fact]
    public async Task Concurrent_statuses_of_one_message_all_join_its_history()
    {
        await Log.TryAddAsync(Outbound("SM1"));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
            Assert.True(await Log.AddStatusAsync("SM1", null, new LoggedStatus("sent", DeliveryState.Sent, null, T0.AddSeconds(i)))))));

        Assert.Equal(20, (await Log.FindAsync("SM1"))!.StatusHistory.Count);
    }

    /// <summary>An outbound SMS of call CA1 to caller-a from +15550001.</summary>
    protected static LoggedMessage Outbound(string messageId, string? callId = "CA1", DateTimeOffset? createdAt = null) => new()
    {
        MessageId = messageId,
        Direction = MessageDirection.Outbound,
        Channel = MessageChannel.Sms,
        CallId = callId,
        ActionName = "send_link",
        SenderName = "default",
        SenderIdentity = "+15550001",
        CallerKey = "caller-a",
        Caller = "+1415***0100",
        ContentHash = "0123abcd",
        CreatedAt = createdAt ?? T0,
        Status = "queued",
        State = DeliveryState.Queued,
    };

    /// <summary>An inbound SMS of call CA1 from caller-a to +15550001.</summary>
    protected static LoggedMessage Inbound(string messageId, string? callId = "CA1", DateTimeOffset? createdAt = null) =>
        Outbound(messageId, callId, createdAt) with
        {
            Direction = MessageDirection.Inbound,
            ActionName = null,
            Text = "yes",
            ContentHash = "4567cdef",
            Status = "received",
            State = DeliveryState.Delivered,
        };

    /// <summary>Asserts two logged messages are equal field by field (their lists by content).</summary>
    protected static void AssertSame(LoggedMessage expected, LoggedMessage? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.MediaUrls, actual.MediaUrls);
        Assert.Equal(expected.StatusHistory, actual.StatusHistory);
        Assert.Equal(expected, actual with { MediaUrls = expected.MediaUrls, StatusHistory = expected.StatusHistory });
    }

    // ---- Scheduled after-call texts ----

    private static ScheduledMessage ScheduledText(string id, string callId, DateTimeOffset at) => new()
    {
        Id = id,
        CallId = callId,
        ActionName = "send_confirmation",
        SenderName = "default",
        SenderIdentity = "+14155550199",
        Channel = MessageChannel.Sms,
        To = "+14155550100",
        CallerKey = "+14155550100",
        Body = "Your table is booked for Friday.",
        CreatedAt = at,
    };

    [Fact]
    public async Task Scheduled_texts_round_trip_every_field_and_list_oldest_first_per_call_or_all()
    {
        var template = ScheduledText("s-3", "CA-2", T0.AddSeconds(2)) with
        {
            Channel = MessageChannel.WhatsApp,
            Body = null,
            TemplateId = "HX0123456789abcdef0123456789abcdef",
            TemplateVariables = new Dictionary<string, string> { ["1"] = "Friday", ["2"] = "7 pm" },
            MediaUrls = ["https://example.com/menu.pdf"],
        };
        await Scheduled.AddAsync(ScheduledText("s-2", "CA-1", T0.AddSeconds(1)));
        await Scheduled.AddAsync(template);
        await Scheduled.AddAsync(ScheduledText("s-1", "CA-1", T0));

        Assert.Equal(["s-1", "s-2", "s-3"], (await Scheduled.GetPendingAsync(null)).Select(m => m.Id));
        Assert.Equal(["s-1", "s-2"], (await Scheduled.GetPendingAsync("CA-1")).Select(m => m.Id));
        var read = Assert.Single(await Scheduled.GetPendingAsync("CA-2"));
        Assert.Equal(template.TemplateVariables, read.TemplateVariables);
        Assert.Equal(template.MediaUrls, read.MediaUrls);
        Assert.Equal(template.CreatedAt, read.CreatedAt);
        Assert.Equal(template, read with { TemplateVariables = template.TemplateVariables, MediaUrls = template.MediaUrls });
        Assert.Empty(await Scheduled.GetPendingAsync("CA-unknown"));
    }

    [Fact]
    public async Task A_scheduled_text_is_taken_once_and_is_then_no_longer_pending()
    {
        await Scheduled.AddAsync(ScheduledText("s-1", "CA-1", T0));
        await Scheduled.AddAsync(ScheduledText("s-2", "CA-1", T0.AddSeconds(1)));

        Assert.True(await Scheduled.TryTakeAsync("s-1"));
        Assert.False(await Scheduled.TryTakeAsync("s-1"));
        Assert.False(await Scheduled.TryTakeAsync("s-unknown"));
        Assert.Equal(["s-2"], (await Scheduled.GetPendingAsync("CA-1")).Select(m => m.Id));
        Assert.Equal(["s-2"], (await Scheduled.GetPendingAsync(null)).Select(m => m.Id));
    }

    [Fact]
    public async Task Scheduling_one_id_twice_keeps_one_text()
    {
        await Scheduled.AddAsync(ScheduledText("s-1", "CA-1", T0));
        await Scheduled.AddAsync(ScheduledText("s-1", "CA-1", T0));

        Assert.Single(await Scheduled.GetPendingAsync(null));
        Assert.True(await Scheduled.TryTakeAsync("s-1"));
        Assert.Empty(await Scheduled.GetPendingAsync(null));
    }

    [Fact]
    public async Task Concurrent_takes_of_one_scheduled_text_let_exactly_one_through()
    {
        await Scheduled.AddAsync(ScheduledText("s-1", "CA-1", T0));

        var takes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () => await Scheduled.TryTakeAsync("s-1"))));

        Assert.Equal(1, takes.Count(taken => taken));
    }

    /// <summary>The stores of one test, and how to dispose of them.</summary>
    /// <param name="Consent">The consent store.</param>
    /// <param name="Log">The message log.</param>
    /// <param name="Deduplication">The deduplication store.</param>
    /// <param name="Scheduled">The scheduled after-call texts.</param>
    /// <param name="DisposeAsync">Disposes of them; <see langword="null"/> when there is nothing to dispose.</param>
    public sealed record StateStores(IConsentStore Consent, IMessageLog Log, IDeduplicationStore Deduplication, IScheduledMessageStore Scheduled,
        Func<ValueTask>? DisposeAsync);

    /// <summary>A clock that moves only when told.</summary>
    /// <param name="start">The time it starts at.</param>
    public sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        /// <inheritdoc />
        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        /// <summary>Moves the clock forward.</summary>
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
