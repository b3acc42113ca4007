using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Sqlite;

public sealed partial class SqliteStateStore
{
    /// <inheritdoc />
    public ValueTask<ConsentRecord> GetAsync(string callerKey, string senderIdentity, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerKey);
        ArgumentException.ThrowIfNullOrEmpty(senderIdentity);
        return ReadAsync("Reading a caller's consent", commands =>
        {
            var command = commands.For(                "SELECT opted_out, last_whatsapp_inbound FROM consent WHERE caller_key = $caller AND sender_identity = $sender");
            command.Parameters.AddWithValue("$caller", callerKey);
            command.Parameters.AddWithValue("$sender", senderIdentity);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new ConsentRecord(reader.GetInt64(0) != 0, reader.IsDBNull(1) ? null : Time(reader.GetInt64(1)))
                : default;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> SetOptedOutAsync(string callerKey, string senderIdentity, bool optedOut, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerKey);
        ArgumentException.ThrowIfNullOrEmpty(senderIdentity);
        return WriteAsync(optedOut ? "Recording an opt-out" : "Recording an opt-in", commands =>
        {
            var read = commands.For("SELECT opted_out FROM consent WHERE caller_key = $caller AND sender_identity = $sender");
            read.Parameters.AddWithValue("$caller", callerKey);
            read.Parameters.AddWithValue("$sender", senderIdentity);
            var was = read.ExecuteScalar() is long value && value != 0;

            var write = commands.For("""
                INSERT INTO consent (caller_key, sender_identity, opted_out, updated_at) VALUES ($caller, $sender, $opted_out, $at)
                ON CONFLICT (caller_key, sender_identity) DO UPDATE SET opted_out = excluded.opted_out, updated_at = excluded.updated_at
                """);
            write.Parameters.AddWithValue("$caller", callerKey);
            write.Parameters.AddWithValue("$sender", senderIdentity);
            write.Parameters.AddWithValue("$opted_out", optedOut ? 1 : 0);
            write.Parameters.AddWithValue("$at", Ticks(at));
            write.ExecuteNonQuery();
            return was != optedOut;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask RecordWhatsAppInboundAsync(string callerKey, string senderIdentity, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(callerKey);
        ArgumentException.ThrowIfNullOrEmpty(senderIdentity);
        await WriteAsync("Recording an inbound WhatsApp message", commands =>
        {
            // Only a later time moves the window: a late redelivery of an old message must not shorten it.
            var write = commands.For("""
                INSERT INTO consent (caller_key, sender_identity, opted_out, last_whatsapp_inbound, updated_at)
                VALUES ($caller, $sender, 0, $at, $at)
                ON CONFLICT (caller_key, sender_identity) DO UPDATE
                SET last_whatsapp_inbound = excluded.last_whatsapp_inbound, updated_at = excluded.updated_at
                WHERE last_whatsapp_inbound IS NULL OR last_whatsapp_inbound < excluded.last_whatsapp_inbound
                """);
            write.Parameters.AddWithValue("$caller", callerKey);
            write.Parameters.AddWithValue("$sender", senderIdentity);
            write.Parameters.AddWithValue("$at", Ticks(at));
            return write.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }
}
