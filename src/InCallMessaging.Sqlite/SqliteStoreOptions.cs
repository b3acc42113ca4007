namespace InCallMessaging.Sqlite;

/// <summary>Where the SQLite state store keeps its file and how hard it works to keep each write.</summary>
/// <remarks>
/// The host usually takes the connection string from <c>ConnectionStrings:InCallMessaging</c>, for example
/// <c>Data Source=/var/lib/voicebot/incall.db</c>. A relative <c>Data Source</c> is resolved by SQLite against the
/// process's current directory, so hosts should pass a full path.
/// </remarks>
public sealed class SqliteStoreOptions
{
    /// <summary>The SQLite connection string; its <c>Data Source</c> names the database file.</summary>
    /// <value>The default value is empty, which fails validation: set it from <c>ConnectionStrings:InCallMessaging</c>.</value>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>How durable each commit is.</summary>
    /// <value>The default value is <see cref="SqliteSynchronous.Normal"/>.</value>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>
    /// The page size, in bytes, of a database file the store creates (SQLite's <c>PRAGMA page_size</c>; an existing
    /// file keeps its own). Every commit writes each page it changed to the write-ahead log in full, and an inbound
    /// message changes a page of each random-keyed index (its message id, its call), so smaller pages write less log per
    /// message; larger ones make long scans cheaper.
    /// </summary>
    /// <value>The default value is 4096, SQLite's own default. A power of two from 512 to 65536.</value>
    public int PageSize { get; set; } = 4096;

    /// <summary>How long a write waits for a lock another process holds on the file before it fails.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the writer deletes expired deduplication keys.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan DeduplicationPurgeInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// SQLite's <c>PRAGMA synchronous</c> in WAL mode: the trade between commit latency and what a crash can take back.
/// </summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// <c>NORMAL</c>: a commit survives the process being killed, but the last commits before a power loss or an
    /// operating system crash can be lost (the database stays consistent). No disk flush per commit, so writes are fast.
    /// </summary>
    Normal,

    /// <summary>
    /// <c>FULL</c>: every commit is flushed to disk before the write completes, so it survives a power loss too. Each
    /// commit waits for the disk; group commit shares one flush among the writes queued together.
    /// </summary>
    Full,
}
