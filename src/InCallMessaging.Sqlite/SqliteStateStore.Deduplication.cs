using InCallMessaging.Sqlite.Internal;

namespace InCallMessaging.Sqlite;

public sealed partial class SqliteStateStore
{
    private const string MarkSql = """
        INSERT INTO dedupe (key, expires_at) VALUES ($key, $expires_at)
        ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE dedupe.expires_at <= $now
        """;

    /// <inheritdoc />
    public ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return WriteAsync("Marking a webhook delivery as seen", commands => Mark(commands, key, retention), cancellationToken);
    }

    /// <summary>
    /// Inserts a mark, or takes over one whose retention ended: one statement on the one writer, so two redeliveries
    /// cannot both pass. The clock is read here, in the writer, so expiry is judged in commit order.
    /// </summary>
    private bool Mark(WriterCommands commands, string key, TimeSpan retention)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var mark = commands.Reused(MarkSql) ?? commands.WithParameters(MarkSql, "$key", "$expires_at", "$now");
        mark.Parameters[0].Value = key;
        mark.Parameters[1].Value = now + retention.Ticks;
        mark.Parameters[2].Value = now;
        return mark.ExecuteNonQuery() == 1;
    }

    /// <summary>Deletes expired deduplication keys, at most once per purge interval (run in a write batch).</summary>
    private void PurgeExpiredKeys(WriterCommands commands)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now < _nextPurge)
        {
            return;
        }

        _nextPurge = now + _options.DeduplicationPurgeInterval.Ticks;
        var purge = commands.For("DELETE FROM dedupe WHERE expires_at <= $now");
        purge.Parameters.AddWithValue("$now", now);
        purge.ExecuteNonQuery();
    }
}
