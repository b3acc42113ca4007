using InCallMessaging.SemanticKernel;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>
/// Opens the writer's connection: checks the file is a healthy SQLite database, switches it to WAL and applies the
/// migrations it lacks, in one transaction.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The migrations, oldest first: migration <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>.</summary>
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE consent (
            caller_key TEXT NOT NULL,
            sender_identity TEXT NOT NULL,
            opted_out INTEGER NOT NULL DEFAULT 0,
            last_whatsapp_inbound INTEGER,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (caller_key, sender_identity)
        ) WITHOUT ROWID;

        CREATE TABLE dedupe (
            key TEXT NOT NULL PRIMARY KEY,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ix_dedupe_expires_at ON dedupe (expires_at);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL,
            direction TEXT NOT NULL,
            channel TEXT NOT NULL,
            call_id TEXT,
            action_name TEXT,
            sender_name TEXT NOT NULL,
            sender_identity TEXT NOT NULL,
            caller_key TEXT NOT NULL,
            caller TEXT NOT NULL,
            text TEXT,
            content_hash TEXT NOT NULL,
            template_id TEXT,
            media_urls TEXT,
            client_reference TEXT,
            in_reply_to TEXT,
            created_at INTEGER NOT NULL,
            status TEXT NOT NULL,
            state TEXT NOT NULL,
            error_code TEXT,
            UNIQUE (message_id, direction)
        );
        CREATE INDEX ix_messages_call_id ON messages (call_id, created_at);
        CREATE INDEX ix_messages_reply ON messages (caller_key, channel, sender_identity, created_at);
        CREATE INDEX ix_messages_created_at ON messages (created_at);

        CREATE TABLE message_status (
            id INTEGER PRIMARY KEY,
            message_row INTEGER NOT NULL,
            status TEXT NOT NULL,
            state TEXT NOT NULL,
            error_code TEXT,
            at INTEGER NOT NULL
        );
        CREATE INDEX ix_message_status_message_row ON message_status (message_row, id);
        """,
        // 2: the reply look-up reads only outbound messages, so only they are indexed for it. An inbound message (every
        // webhook) then writes one random-keyed index page fewer; erasing a caller's inbound messages scans instead.
        """
        DROP INDEX ix_messages_reply;
        CREATE INDEX ix_messages_reply ON messages (caller_key, channel, sender_identity, created_at) WHERE direction = 'Outbound';
        """,
        // 3: after-call texts waiting for their call to end; a row is deleted when it is taken for sending.
        """
        CREATE TABLE scheduled_messages (
            id TEXT NOT NULL PRIMARY KEY,
            call_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            message TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ix_scheduled_messages_call_id ON scheduled_messages (call_id, created_at);
        """,
    ];

    /// <summary>The schema version this library writes.</summary>
    public static int LatestVersion => Migrations.Count;

    /// <summary>Opens, checks, configures and migrates the writer's connection.</summary>
    /// <exception cref="StateStoreException">The file cannot be opened, is not a healthy database, or is newer than this library.</exception>
    public static SqliteConnection OpenWriter(string connectionString, SqliteStoreOptions options, string store, string path)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            CheckIntegrity(connection, store, path);
            Configure(connection, options, store, path);
            Migrate(connection, store, path);
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw SqliteErrors.Wrap(store, path, "Opening the database", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CheckIntegrity(SqliteConnection connection, string store, string path)
    {
        // quick_check reads every page once (not the indexes' contents): a garbage file fails here with SQLITE_NOTADB,
        // a damaged one reports what it found.
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA quick_check";
        var result = check.ExecuteScalar() as string;
        if (!string.Equals(result, "ok", StringComparison.Ordinal))
        {
            throw new StateStoreException(store,
                $"'{path}' is corrupt (PRAGMA quick_check: {result}); {SqliteErrors.CorruptFix}");
        }
    }

    private static void Configure(SqliteConnection connection, SqliteStoreOptions options, string store, string path)
    {
        using var command = connection.CreateCommand();
        // Takes effect only on a new, empty file (before WAL mode); an existing file keeps the page size it was made with.
        command.CommandText = $"PRAGMA page_size = {options.PageSize.ToString(CultureInfo.InvariantCulture)}";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA journal_mode = WAL";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase) && !string.Equals(mode, "memory", StringComparison.OrdinalIgnoreCase))
        {
            throw new StateStoreException(store,
                $"'{path}' could not be switched to WAL mode (journal_mode is '{mode}'); keep the file on a local disk, not a network share");
        }

        var synchronous = options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL";
        var busy = (long)options.BusyTimeout.TotalMilliseconds;
        // The writer never checkpoints (wal_autocheckpoint = 0): SqliteCheckpointer does it beside it, so a checkpoint's
        // disk flush never holds up a batch. A bigger page cache keeps the indexes' hot pages in memory.
        command.CommandText = $"PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = {busy.ToString(CultureInfo.InvariantCulture)}; "
            + "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY";
        command.ExecuteNonQuery();
    }

    private static void Migrate(SqliteConnection connection, string store, string path)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
        command.ExecuteNonQuery();

        var version = ReadVersion(connection, transaction);
        if (version > LatestVersion)
        {
            throw new StateStoreException(store,
                $"'{path}' has schema version {version}, but this version of InCallMessaging.Sqlite knows only up to {LatestVersion}: "
                + "it was written by a newer version of the package; upgrade the package or point ConnectionStrings:InCallMessaging at another file");
        }

        if (version == LatestVersion)
        {
            return;
        }

        for (var i = version; i < LatestVersion; i++)
        {
            command.CommandText = Migrations[i];
            command.ExecuteNonQuery();
        }

        command.CommandText = "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ($version)";
        command.Parameters.AddWithValue("$version", LatestVersion);
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private static int ReadVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT max(version) FROM schema_version";
        return read.ExecuteScalar() is long version ? (int)version : 0;
    }
}
