using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>
/// The writer connection's commands, one per statement text, created once and reused: SQLite keeps each one's
/// prepared statement, so a write parses no SQL after its first run.
/// </summary>
internal sealed class WriterCommands(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteCommand> _reused = new(StringComparer.Ordinal);

    /// <summary>The connection the commands run on.</summary>
    public SqliteConnection Connection { get; } = connection;

    /// <summary>The command for <paramref name="sql"/>, with its parameters cleared.</summary>
    public SqliteCommand For(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
            _commands[sql] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// The command for <paramref name="sql"/> with its parameters created once, in the order of
    /// <paramref name="names"/>: the hot writes set each parameter's value instead of allocating new ones.
    /// </summary>
    public SqliteCommand WithParameters(string sql, params ReadOnlySpan<string> names)
    {
        var command = For(sql);
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _reused[sql] = command;
        return command;
    }

    /// <summary>The command <see cref="WithParameters"/> made for <paramref name="sql"/>, if any (its parameters kept).</summary>
    public SqliteCommand? Reused(string sql) => _reused.GetValueOrDefault(sql);

    /// <summary>Runs a statement without parameters.</summary>
    public int Execute(string sql) => For(sql).ExecuteNonQuery();

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        _reused.Clear();
    }
}
