using System.Globalization;
using InCallMessaging.SemanticKernel;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace InCallMessaging.Sqlite.Tests;

/// <summary>What the SQLite store does beyond the contract: durability, WAL, schema checks, faults and group commit.</summary>
public sealed class SqliteStateStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, 123, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Everything_survives_dispose_and_reopen()
    {
        await using (var store = _database.CreateStore())
        {
            await store.SetOptedOutAsync("caller-a", "+15550001", optedOut: true, T0);
            await store.RecordWhatsAppInboundAsync("caller-a", "+15550002", T0);
            Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromDays(1)));
            await store.TryAddAsync(Message("SM1"));
            await store.AddStatusAsync("SM1", null, new LoggedStatus("delivered", DeliveryState.Delivered, null, T0.AddSeconds(1)));
        }

        await using var reopened = _database.CreateStore();
        Assert.Equal(new ConsentRecord(true, null), await reopened.GetAsync("caller-a", "+15550001"));
        Assert.Equal(new ConsentRecord(false, T0), await reopened.GetAsync("caller-a", "+15550002"));
        Assert.False(await reopened.TryMarkAsync("in:SM1", TimeSpan.FromDays(1)));
        var message = await reopened.FindAsync("SM1");
        Assert.NotNull(message);
        Assert.Equal(DeliveryState.Delivered, message.State);
        Assert.Single(message.StatusHistory);
        Assert.Equal(["https://example.com/a.png"], message.MediaUrls);
    }

    [Fact]
    public async Task An_inbound_message_is_logged_in_one_write_and_is_first_only_once()
    {
        await using var store = _database.CreateStore();
        var inbound = Message("SM9") with { Direction = MessageDirection.Inbound, Status = "received", State = DeliveryState.Unknown };

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.RecordInboundAsync(inbound, "in:SM9", TimeSpan.FromDays(1)).AsTask()));

        Assert.Single(concurrent, first => first);
        Assert.Equal(MessageDirection.Inbound, (await store.FindAsync("SM9"))?.Direction);
        Assert.False(await store.RecordInboundAsync(inbound, "in:SM9", TimeSpan.FromDays(1)));
        Assert.Equal(1L, _database.Scalar("SELECT COUNT(*) FROM messages WHERE message_id = 'SM9'"));
    }

    [Fact]
    public async Task The_file_is_in_WAL_mode_at_the_latest_schema_version()
    {
        await using var store = _database.CreateStore();
        await store.OpenAsync();

        Assert.Equal("wal", _database.Scalar("PRAGMA journal_mode"));
        Assert.Equal((long)Internal.SqliteSchema.LatestVersion, _database.Scalar("SELECT version FROM schema_version"));
        Assert.True(File.Exists(_database.Path));
    }

    [Fact]
    public async Task A_version_1_file_is_migrated_in_place_and_keeps_its_rows()
    {
        // A file as version 1 of the package wrote it: its schema, one logged message, schema_version 1.
        await using (var v1 = new SqliteConnection(_database.ConnectionString + ";Pooling=False"))
        {
            v1.Open();
            using var command = v1.CreateCommand();
            command.CommandText = Internal.SqliteSchema.Migrations[0] + """
                CREATE TABLE schema_version (version INTEGER NOT NULL);
                INSERT INTO schema_version (version) VALUES (1);
                INSERT INTO messages (message_id, direction, channel, call_id, sender_name, sender_identity, caller_key, caller,
                                      content_hash, created_at, status, state)
                VALUES ('SM1', 'Outbound', 'Sms', 'CA1', 'default', '+15550001', 'caller-a', '+1415***0100', '0123abcd', 1, 'sent', 'Sent');
                """;
            command.ExecuteNonQuery();
        }

        await using var store = _database.CreateStore();
        await store.OpenAsync();

        Assert.Equal((long)Internal.SqliteSchema.LatestVersion, _database.Scalar("SELECT version FROM schema_version"));
        Assert.Equal(0L, _database.Scalar("SELECT count(*) FROM scheduled_messages"));
        // The reply look-up's index now holds outbound messages only, and the look-up still uses it.
        Assert.EndsWith("WHERE direction = 'Outbound'", (string?)_database.Scalar("SELECT sql FROM sqlite_master WHERE name = 'ix_messages_reply'"), StringComparison.Ordinal);
        Assert.Contains("ix_messages_reply", PlanOf(_database, """
            SELECT id FROM messages
            WHERE channel = 'Sms' AND caller_key = 'caller-a' AND sender_identity = '+15550001' AND created_at >= 0
              AND direction = 'Outbound' AND call_id IS NOT NULL
            ORDER BY created_at DESC, id DESC LIMIT 1
            """), StringComparison.Ordinal);
        Assert.Equal("CA1", (await store.FindLatestOutboundAsync(MessageChannel.Sms, "caller-a", "+15550001", DateTimeOffset.MinValue))?.CallId);
    }

    [Fact]
    public async Task PageSize_shapes_a_new_file_and_leaves_an_existing_one_as_it_was()
    {
        await using (var store = _database.CreateStore(configure: o => o.PageSize = 1024))
        {
            Assert.True(await store.TryAddAsync(Message("SM1")));
        }

        Assert.Equal(1024L, _database.Scalar("PRAGMA page_size"));

        await using var reopened = _database.CreateStore(configure: o => o.PageSize = 8192);
        Assert.NotNull(await reopened.FindAsync("SM1"));
        Assert.True(await reopened.TryAddAsync(Message("SM2")));
        Assert.Equal(1024L, _database.Scalar("PRAGMA page_size"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(131072)]
    public void A_page_size_SQLite_cannot_use_is_refused_naming_the_field(int pageSize)
    {
        var error = Assert.Throws<ArgumentException>(() => _database.CreateStore(configure: o => o.PageSize = pageSize));
        Assert.Contains($"PageSize {pageSize}", error.Message, StringComparison.Ordinal);
        Assert.Contains("power of two from 512 to 65536", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Full_synchronous_mode_opens_and_writes()
    {
        await using var store = _database.CreateStore(configure: o => o.Synchronous = SqliteSynchronous.Full);

        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.False(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task A_file_from_a_newer_version_fails_the_open_naming_the_file_and_the_fix()
    {
        await using (var store = _database.CreateStore())
        {
            await store.OpenAsync();
        }

        _database.Scalar("UPDATE schema_version SET version = 99");

        await using var newer = _database.CreateStore();
        var error = await Assert.ThrowsAsync<StateStoreException>(() => newer.OpenAsync().AsTask());
        Assert.Equal("SQLite (incall.db)", error.Store);
        Assert.Contains(_database.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("newer version", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:InCallMessaging", error.Message, StringComparison.Ordinal);

        // First use opens lazily and fails the same way.
        await Assert.ThrowsAsync<StateStoreException>(() => newer.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)).AsTask());
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_fails_the_open()
    {
        await File.WriteAllTextAsync(_database.Path, string.Concat(Enumerable.Repeat("this is not a SQLite database. ", 200)));

        await using var store = _database.CreateStore();
        var error = await Assert.ThrowsAsync<StateStoreException>(() => store.OpenAsync().AsTask());

        Assert.Contains(_database.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a SQLite database or is corrupt", error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public async Task A_lock_held_elsewhere_fails_writes_and_the_store_serves_again_once_it_is_released()
    {
        await using var store = _database.CreateStore(configure: o => o.BusyTimeout = TimeSpan.FromMilliseconds(100));
        await store.OpenAsync();

        using (var other = new SqliteConnection($"Data Source={_database.Path};Pooling=False"))
        {
            other.Open();
            using var hold = other.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE; INSERT INTO dedupe (key, expires_at) VALUES ('other', 0)";
            hold.ExecuteNonQuery();

            var error = await Assert.ThrowsAsync<StateStoreException>(() => store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)).AsTask());
            Assert.Contains("locked", error.Message, StringComparison.Ordinal);
            Assert.Contains("Marking a webhook delivery", error.Message, StringComparison.Ordinal);

            // Reads go on beside the other writer (WAL).
            Assert.Equal(default, await store.GetAsync("caller", "+15550001"));

            hold.CommandText = "ROLLBACK";
            hold.ExecuteNonQuery();
        }

        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
        Assert.False(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task A_file_deleted_underneath_fails_writes_then_the_store_starts_a_new_file()
    {
        await using var store = _database.CreateStore();
        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));

        foreach (var file in Directory.GetFiles(_database.Directory))
        {
            File.Delete(file);
        }

        var error = await Assert.ThrowsAsync<StateStoreException>(() => store.TryMarkAsync("in:SM2", TimeSpan.FromHours(1)).AsTask());
        Assert.Contains(_database.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("deleted or moved", error.Message, StringComparison.Ordinal);

        Assert.True(await store.TryMarkAsync("in:SM2", TimeSpan.FromHours(1)));
        Assert.True(File.Exists(_database.Path));
        Assert.Equal(1L, _database.Scalar("SELECT count(*) FROM dedupe"));
    }

    [Fact]
    public async Task A_read_only_connection_string_fails_writes_with_the_fix()
    {
        await using (var store = _database.CreateStore())
        {
            await store.OpenAsync();
        }

        await using var readOnly = new SqliteStateStore(new SqliteStoreOptions { ConnectionString = $"Data Source={_database.Path};Mode=ReadOnly" });
        var error = await Assert.ThrowsAsync<StateStoreException>(() => readOnly.SetOptedOutAsync("caller", "+15550001", true, T0).AsTask());

        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        Assert.Equal(default, await readOnly.GetAsync("caller", "+15550001"));
    }

    [Fact]
    public async Task One_failing_write_does_not_fail_the_others_in_its_batch()
    {
        await using var store = _database.CreateStore();
        await store.OpenAsync();
        _database.Scalar("""
            CREATE TRIGGER reject_bad BEFORE INSERT ON messages WHEN NEW.message_id = 'SM-bad'
            BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END
            """);

        var good = Enumerable.Range(0, 50).Select(i => store.TryAddAsync(Message($"SM{i}")).AsTask()).ToList();
        var bad = store.TryAddAsync(Message("SM-bad")).AsTask();
        good.AddRange(Enumerable.Range(50, 50).Select(i => store.TryAddAsync(Message($"SM{i}")).AsTask()));

        var error = await Assert.ThrowsAsync<StateStoreException>(() => bad);
        Assert.IsType<SqliteException>(error.InnerException);
        Assert.Contains("Logging a message failed", error.Message, StringComparison.Ordinal);
        Assert.All(await Task.WhenAll(good), Assert.True);
        Assert.Equal(100L, _database.Scalar("SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task A_thousand_concurrent_writes_commit_exactly_once_in_fewer_transactions()
    {
        await using var store = _database.CreateStore();
        await store.OpenAsync();
        using var start = new ManualResetEventSlim();

        var tasks = Enumerable.Range(0, 32).Select(task => Task.Run(async () =>
        {
            start.Wait();
            var added = 0;
            for (var i = task; i < 1000; i += 32)
            {
                added += await store.TryAddAsync(Message($"SM{i}")) ? 1 : 0;
                added += await store.TryMarkAsync($"in:SM{i}", TimeSpan.FromHours(1)) ? 1 : 0;
            }

            return added;
        })).ToArray();
        start.Set();

        Assert.Equal(2000, (await Task.WhenAll(tasks)).Sum());
        Assert.Equal(1000L, _database.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(1000L, _database.Scalar("SELECT count(DISTINCT message_id) FROM messages"));
        Assert.Equal(1000L, _database.Scalar("SELECT count(*) FROM dedupe"));
        Assert.Equal(2000, store.WriteCount);
        Assert.True(store.TransactionCount < 2000, $"{store.TransactionCount} transactions for 2000 writes: no group commit.");
    }

    [Fact]
    public async Task Under_writes_without_a_pause_the_log_is_started_over_each_second()
    {
        await using var store = _database.CreateStore();
        await store.OpenAsync();

        // Back-to-back batches, never a quiet moment for the log to reset by itself, until the writer has restarted it
        // three times (one periodic checkpoint a second).
        var written = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (store.LogRestartCount < 3 && DateTime.UtcNow < deadline)
        {
            await Task.WhenAll(Enumerable.Range(written, 50).Select(i => store.TryAddAsync(Message($"SM{i}")).AsTask()));
            written += 50;
        }

        Assert.True(store.LogRestartCount >= 3, $"the log was restarted {store.LogRestartCount} times in 30 s of writes");
        Assert.Equal((long)written, _database.Scalar("SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task Writes_queued_together_share_one_commit()
    {
        await using var store = _database.CreateStore();
        await store.OpenAsync();

        var writes = Enumerable.Range(0, 200).Select(i => store.TryMarkAsync($"in:SM{i}", TimeSpan.FromHours(1)).AsTask()).ToArray();
        await Task.WhenAll(writes);

        Assert.True(store.TransactionCount <= 20, $"{store.TransactionCount} transactions for 200 writes queued at once.");
    }

    [Fact]
    public async Task Dispose_commits_the_writes_already_queued()
    {
        var store = _database.CreateStore();
        await store.OpenAsync();
        var writes = Enumerable.Range(0, 100).Select(i => store.TryMarkAsync($"in:SM{i}", TimeSpan.FromHours(1)).AsTask()).ToArray();

        await store.DisposeAsync();

        Assert.Equal(100L, _database.Scalar("SELECT count(*) FROM dedupe"));
        Assert.All(await Task.WhenAll(writes), Assert.True);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.TryMarkAsync("in:late", TimeSpan.FromHours(1)).AsTask());
    }

    [Fact]
    public async Task Expired_keys_are_deleted_by_the_writer()
    {
        var clock = new FakeTimeProvider(T0);
        await using var store = _database.CreateStore(clock);
        await store.TryMarkAsync("in:SM1", TimeSpan.FromMinutes(5));
        await store.TryMarkAsync("in:SM2", TimeSpan.FromHours(5));

        clock.Advance(TimeSpan.FromHours(1));
        await store.TryMarkAsync("in:SM3", TimeSpan.FromHours(5));

        Assert.Equal(0L, _database.Scalar("SELECT count(*) FROM dedupe WHERE key = 'in:SM1'"));
        Assert.Equal(2L, _database.Scalar("SELECT count(*) FROM dedupe"));
    }

    [Fact]
    public async Task Erasing_and_retention_delete_the_status_history_rows_too()
    {
        await using var store = _database.CreateStore();
        await store.TryAddAsync(Message("SM1"));
        await store.TryAddAsync(Message("SM2") with { CallerKey = "caller-b", CreatedAt = T0.AddDays(-40) });
        await store.TryAddAsync(Message("SM3") with { CallerKey = "caller-b" });
        foreach (var id in new[] { "SM1", "SM2", "SM3" })
        {
            await store.AddStatusAsync(id, null, new LoggedStatus("sent", DeliveryState.Sent, null, T0));
        }

        Assert.Equal(1, await store.ForgetCallerAsync("caller-a"));
        Assert.Equal(2L, _database.Scalar("SELECT count(*) FROM message_status"));

        Assert.Equal(1, await store.DeleteOlderThanAsync(T0.AddDays(-30)));
        Assert.Equal(1L, _database.Scalar("SELECT count(*) FROM message_status"));
        Assert.Equal(1L, _database.Scalar("SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task Times_round_trip_to_the_tick()
    {
        await using var store = _database.CreateStore();
        var at = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.FromHours(-5)).AddTicks(1234567);

        await store.RecordWhatsAppInboundAsync("caller", "+15550001", at);

        Assert.Equal(at.UtcTicks, (await store.GetAsync("caller", "+15550001")).LastWhatsAppInbound!.Value.UtcTicks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Data Source=")]
    [InlineData("Data Source=:memory:")]
    public void A_connection_string_without_a_file_is_refused_naming_the_setting(string connectionString)
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteStateStore(new SqliteStoreOptions { ConnectionString = connectionString }));

        Assert.Contains("ConnectionStrings:InCallMessaging", error.Message, StringComparison.Ordinal);
    }

    /// <summary>SQLite's query plan for <paramref name="select"/>, its steps joined.</summary>
    private static string PlanOf(TempDatabase database, string select)
    {
        using var connection = new SqliteConnection(database.ConnectionString + ";Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + select;
        using var reader = command.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
        {
            steps.Add(reader.GetString(3));
        }

        return string.Join(" | ", steps);
    }

    private static LoggedMessage Message(string id) => new()
    {
        MessageId = id,
        Direction = MessageDirection.Outbound,
        Channel = MessageChannel.Sms,
        CallId = "CA1",
        SenderName = "default",
        SenderIdentity = "+15550001",
        CallerKey = "caller-a",
        Caller = "+1415***0100",
        ContentHash = "0123abcd",
        MediaUrls = ["https://example.com/a.png"],
        CreatedAt = T0,
        Status = "queued",
        State = DeliveryState.Queued,
    };
}
