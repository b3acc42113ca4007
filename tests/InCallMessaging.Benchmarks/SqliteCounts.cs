using Microsoft.Data.Sqlite;

namespace InCallMessaging.Benchmarks;

/// <summary>Counts rows of the SQLite store's <c>messages</c> table on a connection of its own (read-only).</summary>
internal static class SqliteCounts
{
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
