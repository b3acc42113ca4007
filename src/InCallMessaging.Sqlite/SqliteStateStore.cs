using InCallMessaging.Sqlite.Internal;
using InCallMessaging.SemanticKernel;
using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite;

/// <summary>
/// The SQLite state store: consent (<see cref="IConsentStore"/>), the message log (<see cref="IMessageLog"/>), webhook
/// deduplication (<see cref="IDeduplicationStore"/>) and scheduled after-call texts (<see cref="IScheduledMessageStore"/>)
/// in one database file that survives restarts.
/// </summary>
/// <remarks>
/// <para>
/// The file is opened in WAL mode, so reads (on pooled connections of their own) run beside the one writer. Every
/// write goes through that writer: a loop that takes all queued writes, runs them in one transaction and commits once
/// (group commit). A write's task completes only after its commit, so once it completes the write is as durable as
/// <see cref="SqliteStoreOptions.Synchronous"/> makes it.
/// </para>
/// <para>
/// The store creates and migrates its own schema when it opens: at host start-up (registered through
/// <c>AddInCallMessagingSqliteStore</c>), on <see cref="OpenAsync"/>, or on first use. A file that is not a SQLite
/// database, is corrupt, or was written by a newer version of this package fails the open with a
/// <see cref="StateStoreException"/> that names the file and the fix. So does every failed read or write.
/// </para>
/// <para>One process writes a file: hosts that share state across machines want a shared store (Redis).</para>
/// </remarks>
public sealed partial class SqliteStateStore : IConsentStore, IMessageLog, IDeduplicationStore, IInboundMessageRecorder, IScheduledMessageStore,
    IAsyncDisposable, IDisposable
{
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _store;
    private readonly string _path;
    private readonly string _writerConnectionString;
    private readonly string _readerConnectionString;
    private readonly SemaphoreSlim _openGate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentBag<WriterCommands> _readers = [];
    private volatile SqliteWriter? _writer;
    private SqliteCheckpointer? _checkpointer;
    private volatile bool _disposed;
    private long _nextPurge;

    /// <summary>The store as logs name it: <c>SQLite (</c>the file's path<c>)</c>.</summary>
    public override string ToString() => $"SQLite ({_path})";

    /// <summary>Creates a store on the system clock; the file is opened on <see cref="OpenAsync"/> or first use.</summary>
    /// <param name="options">Where the file is and how writes are kept.</param>
    /// <exception cref="ArgumentException">The options are invalid (an empty connection string, say).</exception>
    public SqliteStateStore(SqliteStoreOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Creates a store; the file is opened on <see cref="OpenAsync"/> or first use.</summary>
    /// <param name="options">Where the file is and how writes are kept.</param>
    /// <param name="timeProvider">The clock deduplication keys expire by.</param>
    /// <exception cref="ArgumentException">The options are invalid (an empty connection string, say).</exception>
    public SqliteStateStore(SqliteStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var builder = Validate(options);
        _options = new SqliteStoreOptions
        {
            ConnectionString = options.ConnectionString,
            Synchronous = options.Synchronous,
            BusyTimeout = options.BusyTimeout,
            PageSize = options.PageSize,
            DeduplicationPurgeInterval = options.DeduplicationPurgeInterval,
        };
        _time = timeProvider;
        _path = builder.DataSource;
        _store = $"SQLite ({Path.GetFileName(_path)})";

        // Microsoft.Data.Sqlite retries a busy database for the command timeout, so it follows BusyTimeout too.
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds));
        var writer = new SqliteConnectionStringBuilder(builder.ConnectionString) { Pooling = false };
        if (writer.Mode == SqliteOpenMode.ReadWrite)
        {
            writer.Mode = SqliteOpenMode.ReadWriteCreate;
        }

        _writerConnectionString = writer.ConnectionString;
        // Readers never create the file: a reader that finds it gone says so rather than reading an empty new one.
        var reader = new SqliteConnectionStringBuilder(builder.ConnectionString) { Pooling = true };
        if (reader.Mode == SqliteOpenMode.ReadWriteCreate)
        {
            reader.Mode = SqliteOpenMode.ReadWrite;
        }

        _readerConnectionString = reader.ConnectionString;
    }

    /// <summary>The database file's path, as the connection string gives it.</summary>
    internal string DatabasePath => _path;

    /// <summary>How many transactions the writer committed (fewer than writes when group commit batches them).</summary>
    internal long TransactionCount => _writer?.TransactionCount ?? 0;

    /// <summary>How many writes the writer committed.</summary>
    internal long WriteCount => _writer?.WriteCount ?? 0;

    /// <summary>How many times the writer started the write-ahead log over.</summary>
    internal long LogRestartCount => _writer?.LogRestartCount ?? 0;

    /// <summary>
    /// Opens the database: checks the file (<c>PRAGMA quick_check</c>, which reads it once, so a large file takes a
    /// moment), switches it to WAL, creates or migrates the schema in one transaction and starts the writer. Does
    /// nothing once open. The host calls it at start-up; without a host, the first read or write does.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for another caller's open.</param>
    /// <exception cref="StateStoreException">
    /// The file cannot be opened, is not a SQLite database, is corrupt, or was written by a newer version of this package.
    /// </exception>
    public async ValueTask OpenAsync(CancellationToken cancellationToken = default) => await WriterAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Runs the writes already queued, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _openGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_writer is { } writer)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }

            if (_checkpointer is { } checkpointer)
            {
                await checkpointer.DisposeAsync().ConfigureAwait(false);
            }

            ClearReaderPool();
        }
        finally
        {
            _openGate.Release();
        }
    }

    /// <summary>Runs the writes already queued, then closes the database (blocking; prefer <see cref="DisposeAsync"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static SqliteConnectionStringBuilder Validate(SqliteStoreOptions options)
    {
        const string Example = "for example \"Data Source=/var/lib/voicebot/incall.db\"";
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException(
                $"SQLite store: the connection string is empty; set ConnectionStrings:InCallMessaging ({Example}).", nameof(options));
        }

        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"SQLite store: the connection string in ConnectionStrings:InCallMessaging is not valid ({e.Message}); {Example}.", nameof(options), e);
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException(
                $"SQLite store: the connection string in ConnectionStrings:InCallMessaging names no database file; give a Data Source path ({Example}).",
                nameof(options));
        }

        if (options.BusyTimeout < TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException(
                $"SQLite store: BusyTimeout {options.BusyTimeout} must be between 0 and 10 minutes.", nameof(options));
        }

        if (options.PageSize is < 512 or > 65536 || !int.IsPow2(options.PageSize))
        {
            throw new ArgumentException(
                $"SQLite store: PageSize {options.PageSize} must be a power of two from 512 to 65536 (the default is 4096).", nameof(options));
        }

        if (options.DeduplicationPurgeInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"SQLite store: DeduplicationPurgeInterval {options.DeduplicationPurgeInterval} must be positive.", nameof(options));
        }

        if (!Enum.IsDefined(options.Synchronous))
        {
            throw new ArgumentException($"SQLite store: Synchronous {options.Synchronous} is not Normal or Full.", nameof(options));
        }

        return builder;
    }

    private ValueTask<SqliteWriter> WriterAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _writer is { } writer ? ValueTask.FromResult(writer) : new ValueTask<SqliteWriter>(OpenWriterAsync(cancellationToken));
    }

    private async Task<SqliteWriter> OpenWriterAsync(CancellationToken cancellationToken)
    {
        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_writer is { } writer)
            {
                return writer;
            }

            var connection = await Task.Run(OpenConnection, cancellationToken).ConfigureAwait(false);
            _checkpointer ??= new SqliteCheckpointer(_readerConnectionString, () => _writer?.RequestLogRestart());
            return _writer = new SqliteWriter(connection, OpenConnection, PurgeExpiredKeys, ClearReaderPool, _options.BusyTimeout, _store, _path);
        }
        finally
        {
            _openGate.Release();
        }
    }

    /// <summary>
    /// Opens a reader. Readers never create the file: when it is gone (deleted underneath), a write through the writer
    /// creates it afresh (the writer refused the writes that met the deleted file), then the reader opens that.
    /// </summary>
    private async ValueTask<WriterCommands> OpenReaderAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_path) && !_path.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            await WriteAsync("Opening the database again", static _ => 0, cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(_readerConnectionString);
        try
        {
            connection.Open();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new WriterCommands(connection);
    }

    private void ClearReaderPool()
    {
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
            reader.Connection.Dispose();
        }

        using var pooled = new SqliteConnection(_readerConnectionString);
        SqliteConnection.ClearPool(pooled);
    }

    private SqliteConnection OpenConnection() => SqliteSchema.OpenWriter(_writerConnectionString, _options, _store, _path);

    private async ValueTask<T> WriteAsync<T>(string description, Func<WriterCommands, T> work, CancellationToken cancellationToken)
    {
        var writer = await WriterAsync(cancellationToken).ConfigureAwait(false);
        return await writer.EnqueueAsync(description, work, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a read on an idle reader (a connection of its own with its prepared statements), so a read on the send path
    /// opens nothing and parses no SQL after the first few. A reader that failed is closed, not reused.
    /// </summary>
    private async ValueTask<T> ReadAsync<T>(string description, Func<WriterCommands, T> read, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            await WriterAsync(cancellationToken).ConfigureAwait(false);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        WriterCommands? reader = null;
        try
        {
            if (!_readers.TryTake(out reader))
            {
                reader = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
            }

            var result = read(reader);
            _readers.Add(reader);
            reader = null;
            return result;
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Wrap(_store, _path, description, e);
        }
        finally
        {
            if (reader is not null)
            {
                reader.Connection.Dispose();
                reader.Dispose();
            }
        }
    }

    private static long Ticks(DateTimeOffset at) => at.UtcTicks;

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);
}
