using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite;

public sealed partial class SqliteStateStore
{
    private const string MessageColumns = """
        id, message_id, direction, channel, call_id, action_name, sender_name, sender_identity, caller_key, caller, text,
        content_hash, template_id, media_urls, client_reference, in_reply_to, created_at, status, state, error_code
        """;

    private static readonly string InsertMessageSql = $"""
        INSERT INTO messages ({MessageColumns.Replace("id, message_id", "message_id", StringComparison.Ordinal)})
        VALUES ($message_id, $direction, $channel, $call_id, $action_name, $sender_name, $sender_identity, $caller_key,
                $caller, $text, $content_hash, $template_id, $media_urls, $client_reference, $in_reply_to, $created_at,
                $status, $state, $error_code)
        ON CONFLICT (message_id, direction) DO NOTHING
        RETURNING id
        """;

    private static readonly string[] MessageParameters =
    [
        "$message_id", "$direction", "$channel", "$call_id", "$action_name", "$sender_name", "$sender_identity", "$caller_key",
        "$caller", "$text", "$content_hash", "$template_id", "$media_urls", "$client_reference", "$in_reply_to", "$created_at",
        "$status", "$state", "$error_code",
    ];

    // Enum names as stored, without Enum.ToString's formatting on every write.
    private static string DirectionName(MessageDirection direction) => direction == MessageDirection.Outbound ? "Outbound" : "Inbound";

    private static string ChannelName(MessageChannel channel) => channel == MessageChannel.WhatsApp ? "WhatsApp" : "Sms";

    private static readonly string[] StateNames = Enum.GetNames<DeliveryState>();

    private static string StateName(DeliveryState state) => (uint)state < (uint)StateNames.Length ? StateNames[(int)state] : state.ToString();

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(LoggedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteAsync("Logging a message", commands => InsertMessage(commands, message), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One insert: the message's row is the mark. A delivery is first when its message was not logged yet; the
    /// log's unique key on (message id, direction) is kept for the message retention, longer than any redelivery.</remarks>
    public ValueTask<bool> RecordInboundAsync(LoggedMessage message, string deliveryKey, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        return WriteAsync("Recording an inbound message", commands => InsertMessage(commands, message), cancellationToken);
    }

    /// <summary>Inserts a message with its status history; false when one with its id and direction is logged.</summary>
    private static bool InsertMessage(WriterCommands commands, LoggedMessage message)
    {
        var insert = commands.Reused(InsertMessageSql) ?? commands.WithParameters(InsertMessageSql, MessageParameters);
        var p = insert.Parameters;
        p[0].Value = message.MessageId;
        p[1].Value = DirectionName(message.Direction);
        p[2].Value = ChannelName(message.Channel);
        p[3].Value = Nullable(message.CallId);
        p[4].Value = Nullable(message.ActionName);
        p[5].Value = message.SenderName;
        p[6].Value = message.SenderIdentity;
        p[7].Value = message.CallerKey;
        p[8].Value = message.Caller;
        p[9].Value = Nullable(message.Text);
        p[10].Value = message.ContentHash;
        p[11].Value = Nullable(message.TemplateId);
        p[12].Value = Nullable(MediaJson(message.MediaUrls));
        p[13].Value = Nullable(message.ClientReference);
        p[14].Value = Nullable(message.InReplyTo);
        p[15].Value = Ticks(message.CreatedAt);
        p[16].Value = message.Status;
        p[17].Value = StateName(message.State);
        p[18].Value = Nullable(message.ErrorCode);
        if (insert.ExecuteScalar() is not long row)
        {
            return false;
        }

        foreach (var status in message.StatusHistory ?? [])
        {
            InsertStatus(commands, row, status);
        }

        return true;
    }

    /// <inheritdoc />
    public ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentNullException.ThrowIfNull(status);
        return WriteAsync("Recording a delivery status", commands =>
        {
            var row = FindOutboundRow(commands, messageId);
            if (row is null && clientReference is not null)
            {
                // A send whose answer never came is logged under its client reference: the status names it from now on.
                row = FindOutboundRow(commands, clientReference);
                if (row is { } renamed)
                {
                    var rename = commands.For("UPDATE messages SET message_id = $message_id WHERE id = $row");
                    rename.Parameters.AddWithValue("$message_id", messageId);
                    rename.Parameters.AddWithValue("$row", renamed);
                    rename.ExecuteNonQuery();
                }
            }

            if (row is not { } found)
            {
                return false;
            }

            var update = commands.For("""
                UPDATE messages SET status = $status, state = $state, error_code = coalesce($error_code, error_code) WHERE id = $row
                """);
            update.Parameters.AddWithValue("$status", status.Status);
            update.Parameters.AddWithValue("$state", status.State.ToString());
            update.Parameters.AddWithValue("$error_code", Nullable(status.ErrorCode));
            update.Parameters.AddWithValue("$row", found);
            update.ExecuteNonQuery();
            InsertStatus(commands, found, status);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        return ReadAsync("Finding a logged message", commands =>
        {
            var command = commands.For($"""
                SELECT {MessageColumns} FROM messages WHERE message_id = $message_id
                ORDER BY CASE direction WHEN 'Outbound' THEN 0 ELSE 1 END LIMIT 1
                """);
            command.Parameters.AddWithValue("$message_id", messageId);
            return ReadMessages(commands, command).FirstOrDefault();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        return ReadAsync<IReadOnlyList<LoggedMessage>>("Reading a call's messages", commands =>
        {
            var command = commands.For($"""
                SELECT {MessageColumns} FROM messages WHERE call_id = $call_id
                ORDER BY created_at, CASE direction WHEN 'Outbound' THEN 0 ELSE 1 END, id
                """);
            command.Parameters.AddWithValue("$call_id", callId);
            return ReadMessages(commands, command);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerKey);
        ArgumentException.ThrowIfNullOrEmpty(senderIdentity);
        return ReadAsync("Finding the call a reply answers", commands =>
        {
            var command = commands.For($"""
                SELECT {MessageColumns} FROM messages
                WHERE channel = $channel AND caller_key = $caller_key AND sender_identity = $sender_identity AND created_at >= $since
                  AND direction = 'Outbound' AND call_id IS NOT NULL
                ORDER BY created_at DESC, id DESC LIMIT 1
                """);
            command.Parameters.AddWithValue("$channel", channel.ToString());
            command.Parameters.AddWithValue("$caller_key", callerKey);
            command.Parameters.AddWithValue("$sender_identity", senderIdentity);
            command.Parameters.AddWithValue("$since", Ticks(since));
            return ReadMessages(commands, command).FirstOrDefault();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerKey);
        return WriteAsync("Erasing a caller's messages", commands =>
        {
            var statuses = commands.For("DELETE FROM message_status WHERE message_row IN (SELECT id FROM messages WHERE caller_key = $caller_key)");
            statuses.Parameters.AddWithValue("$caller_key", callerKey);
            statuses.ExecuteNonQuery();
            var messages = commands.For("DELETE FROM messages WHERE caller_key = $caller_key");
            messages.Parameters.AddWithValue("$caller_key", callerKey);
            return messages.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        WriteAsync("Deleting old messages", commands =>
        {
            var statuses = commands.For("DELETE FROM message_status WHERE message_row IN (SELECT id FROM messages WHERE created_at < $cutoff)");
            statuses.Parameters.AddWithValue("$cutoff", Ticks(cutoff));
            statuses.ExecuteNonQuery();
            var messages = commands.For("DELETE FROM messages WHERE created_at < $cutoff");
            messages.Parameters.AddWithValue("$cutoff", Ticks(cutoff));
            return messages.ExecuteNonQuery();
        }, cancellationToken);

    private static long? FindOutboundRow(Internal.WriterCommands commands, string messageId)
    {
        var find = commands.For("SELECT id FROM messages WHERE message_id = $message_id AND direction = 'Outbound'");
        find.Parameters.AddWithValue("$message_id", messageId);
        return find.ExecuteScalar() as long?;
    }

    private static void InsertStatus(Internal.WriterCommands commands, long row, LoggedStatus status)
    {
        var insert = commands.For("""
            INSERT INTO message_status (message_row, status, state, error_code, at) VALUES ($row, $status, $state, $error_code, $at)
            """);
        insert.Parameters.AddWithValue("$row", row);
        insert.Parameters.AddWithValue("$status", status.Status);
        insert.Parameters.AddWithValue("$state", status.State.ToString());
        insert.Parameters.AddWithValue("$error_code", Nullable(status.ErrorCode));
        insert.Parameters.AddWithValue("$at", Ticks(status.At));
        insert.ExecuteNonQuery();
    }

    private static List<LoggedMessage> ReadMessages(WriterCommands commands, SqliteCommand command)
    {
        var rows = new List<(long Row, LoggedMessage Message)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), new LoggedMessage
                {
                    MessageId = reader.GetString(1),
                    Direction = Enum.Parse<MessageDirection>(reader.GetString(2)),
                    Channel = Enum.Parse<MessageChannel>(reader.GetString(3)),
                    CallId = NullableString(reader, 4),
                    ActionName = NullableString(reader, 5),
                    SenderName = reader.GetString(6),
                    SenderIdentity = reader.GetString(7),
                    CallerKey = reader.GetString(8),
                    Caller = reader.GetString(9),
                    Text = NullableString(reader, 10),
                    ContentHash = reader.GetString(11),
                    TemplateId = NullableString(reader, 12),
                    MediaUrls = ParseMedia(NullableString(reader, 13)),
                    ClientReference = NullableString(reader, 14),
                    InReplyTo = NullableString(reader, 15),
                    CreatedAt = Time(reader.GetInt64(16)),
                    Status = reader.GetString(17),
                    State = Enum.Parse<DeliveryState>(reader.GetString(18)),
                    ErrorCode = NullableString(reader, 19),
                }));
            }
        }

        if (rows.Count == 0)
        {
            return [];
        }

        // Each message's history, in one query for all of them.
        var history = new Dictionary<long, List<LoggedStatus>>();
        var statuses = commands.For("""
            SELECT message_row, status, state, error_code, at FROM message_status
            WHERE message_row IN (SELECT value FROM json_each($rows)) ORDER BY id
            """);
        {
            statuses.Parameters.AddWithValue("$rows", JsonSerializer.Serialize(rows.Select(r => r.Row).ToArray(), SqliteJsonContext.Default.Int64Array));
            using var reader = statuses.ExecuteReader();
            while (reader.Read())
            {
                var row = reader.GetInt64(0);
                if (!history.TryGetValue(row, out var list))
                {
                    history[row] = list = [];
                }

                list.Add(new LoggedStatus(reader.GetString(1), Enum.Parse<DeliveryState>(reader.GetString(2)), NullableString(reader, 3), Time(reader.GetInt64(4))));
            }
        }

        return [.. rows.Select(r => history.TryGetValue(r.Row, out var list) ? r.Message with { StatusHistory = list } : r.Message)];
    }

    private static object Nullable(string? value) => value is null ? DBNull.Value : value;

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string? MediaJson(IReadOnlyList<string>? urls) =>
        urls is null || urls.Count == 0 ? null : JsonSerializer.Serialize(urls as string[] ?? [.. urls], SqliteJsonContext.Default.StringArray);

    private static IReadOnlyList<string> ParseMedia(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize(json, SqliteJsonContext.Default.StringArray) ?? [];
}
