using Microsoft.Data.Sqlite;

namespace InCallMessaging.Benchmarks;

/// <summary>Counts rows of the SQLite store's <c>messages</c> table on a connection of its own (read-only).</summary>
internal static class SqliteCounts
{
    /// <summary>
    /// A fresh database path for a benchmark: in <c>BENCH_SQLITE_DIR</c> if set (e.g. <c>/dev/shm</c>, to take the disk
    /// out of a diagnostic run), else the temp directory.
    /// </summary>
    public static string NewDatabasePath()
    {
        var directory = Environment.GetEnvironmentVariable("BENCH_SQLITE_DIR") is { Length: > 0 } dir ? dir : Path.GetTempPath();
        return Path.Combine(directory, $"incall-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.db");
    }

    /// <summary>Rows of <c>messages</c> whose <c>direction</c> is <paramref name="direction"/> (<c>Inbound</c> or <c>Outbound</c>).</summary>
    public static long Messages(string path, string direction)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM messages WHERE direction = $direction";
        command.Parameters.AddWithValue("$direction", direction);
        return (long)command.ExecuteScalar()!;
    }
}
