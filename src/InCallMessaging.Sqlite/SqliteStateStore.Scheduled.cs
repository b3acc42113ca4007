using System.Text.Json;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Sqlite;

public sealed partial class SqliteStateStore
{
    /// <inheritdoc />
    public async ValueTask AddAsync(ScheduledMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var json = JsonSerializer.Serialize(message, SqliteJsonContext.Default.ScheduledMessage);
        await WriteAsync("Scheduling an after-call text", commands =>
        {
            var insert = commands.For("""
                INSERT INTO scheduled_messages (id, call_id, created_at, message) VALUES ($id, $call, $at, $message)
                ON CONFLICT (id) DO NOTHING
                """);
            insert.Parameters.AddWithValue("$id", message.Id);
            insert.Parameters.AddWithValue("$call", message.CallId);
            insert.Parameters.AddWithValue("$at", Ticks(message.CreatedAt));
            insert.Parameters.AddWithValue("$message", json);
            return insert.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ScheduledMessage>> GetPendingAsync(string? callId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ScheduledMessage>>("Reading scheduled after-call texts", commands =>
        {
            var command = callId is null
                ? commands.For("SELECT message FROM scheduled_messages ORDER BY created_at, id")
                : commands.For("SELECT message FROM scheduled_messages WHERE call_id = $call ORDER BY created_at, id");
            if (callId is not null)
            {
                command.Parameters.AddWithValue("$call", callId);
            }

            var messages = new List<ScheduledMessage>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (JsonSerializer.Deserialize(reader.GetString(0), SqliteJsonContext.Default.ScheduledMessage) is { } message)
                {
                    messages.Add(message);
                }
            }

            return messages;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> TryTakeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        // One DELETE on the one writer: of two takers, exactly one sees a row deleted.
        return WriteAsync("Taking a scheduled after-call text", commands =>
        {
            var delete = commands.For("DELETE FROM scheduled_messages WHERE id = $id");
            delete.Parameters.AddWithValue("$id", id);
            return delete.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }
}
