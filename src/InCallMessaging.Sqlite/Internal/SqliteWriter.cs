using InCallMessaging.SemanticKernel;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>
/// The store's one writer: a loop that owns the writer connection and reads a queue of writes. It takes every write
/// queued (up to <see cref="MaxBatch"/>), runs them in one transaction, commits once, and only then completes each
/// caller's task with its own result. If one write fails on its own, the batch is rolled back and each write runs
/// alone, so only that one fails.
/// </summary>
/// <remarks>
/// Group commit: under load a commit (and, with <see cref="SqliteSynchronous.Full"/>, its disk flush) is shared by
/// every write that queued while the previous batch ran. A batch that cannot commit (a lock held too long, a full
/// disk) fails its writes and the loop carries on; after an error that leaves the connection unusable (the file
/// deleted or made read-only, an I/O error) the next batch opens it again.
/// </remarks>
internal sealed class SqliteWriter : IAsyncDisposable
{
    /// <summary>The most writes one transaction takes.</summary>
    internal const int MaxBatch = 256;

    /// <summary>How long a log restart waits for readers still reading the log.</summary>
    internal static readonly TimeSpan LogRestartWait = TimeSpan.FromMilliseconds(50);

    private readonly Channel<WriteOperation> _queue = Channel.CreateUnbounded<WriteOperation>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly Func<SqliteConnection> _open;
    private readonly Action<WriterCommands> _beforeCommit;
    private readonly Action _connectionLost;
    private readonly string _store;
    private readonly string _path;
    private readonly Task _loop;
    private readonly int _busyTimeoutMilliseconds;
    private WriterCommands? _commands;
    private long _transactions;
    private long _writes;
    private long _logRestarts;
    private int _logRestartDue;

    /// <summary>Starts the loop on an opened connection.</summary>
    /// <param name="connection">The writer connection, already opened and migrated.</param>
    /// <param name="open">Opens it again after an error that broke it.</param>
    /// <param name="beforeCommit">Housekeeping run in each batch's transaction (expired deduplication keys).</param>
    /// <param name="connectionLost">Called when the connection is closed after an error (readers drop theirs too).</param>
    /// <param name="busyTimeout">The connection's busy timeout (a log restart shortens it for its own wait).</param>
    /// <param name="store">The store's name for errors.</param>
    /// <param name="path">The file's path for errors.</param>
    public SqliteWriter(SqliteConnection connection, Func<SqliteConnection> open, Action<WriterCommands> beforeCommit, Action connectionLost,
        TimeSpan busyTimeout, string store, string path)
    {
        _busyTimeoutMilliseconds = (int)busyTimeout.TotalMilliseconds;
        _connectionLost = connectionLost;
        _commands = new WriterCommands(connection);
        _open = open;
        _beforeCommit = beforeCommit;
        _store = store;
        _path = path;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many transactions committed.</summary>
    internal long TransactionCount => Interlocked.Read(ref _transactions);

    /// <summary>How many writes committed.</summary>
    internal long WriteCount => Interlocked.Read(ref _writes);

    /// <summary>How many times the writer started the write-ahead log over.</summary>
    internal long LogRestartCount => Interlocked.Read(ref _logRestarts);

    /// <summary>
    /// Asks the loop to checkpoint and start the write-ahead log over after its current batch (see
    /// <see cref="SqliteCheckpointer"/>): a RESTART from the writer's own connection needs no gap between batches.
    /// </summary>
    public void RequestLogRestart() => Volatile.Write(ref _logRestartDue, 1);

    /// <summary>Queues a write; its task completes after the transaction that holds it commits.</summary>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public Task<T> EnqueueAsync<T>(string description, Func<WriterCommands, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<T>(description, work, cancellationToken);
        if (!_queue.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteStateStore), $"{_store}: the store is disposed; it accepts no more writes.");
        }

        return operation.Task;
    }

    /// <summary>Stops taking writes, runs the ones queued, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        CloseConnection();
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteOperation>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var operation))
            {
                if (operation.CancellationToken.IsCancellationRequested)
                {
                    operation.Cancel();
                }
                else
                {
                    batch.Add(operation);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                RunBatch(batch);
            }
#pragma warning disable CA1031 // The loop must outlive any batch: the error goes to that batch's callers.
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var operation in batch)
                {
                    operation.Fail(e);
                }
            }

            batch.Clear();
            if (Interlocked.Exchange(ref _logRestartDue, 0) == 1)
            {
                RestartLog();
            }
        }
    }

    /// <summary>
    /// Between two batches: copies what the periodic PASSIVE checkpoint left (the frames written since) and makes the next
    /// batch write the log from its start. It waits at most <see cref="LogRestartWait"/> for a reader still in the log,
    /// then leaves it to the next request.
    /// </summary>
    private void RestartLog()
    {
        if (_commands is not { } commands)
        {
            return;
        }

        var handle = commands.Connection.Handle;
        try
        {
            raw.sqlite3_busy_timeout(handle, (int)LogRestartWait.TotalMilliseconds);
            if (raw.sqlite3_wal_checkpoint_v2(handle, null, raw.SQLITE_CHECKPOINT_RESTART, out _, out _) == raw.SQLITE_OK)
            {
                Interlocked.Increment(ref _logRestarts);
            }
        }
        finally
        {
            raw.sqlite3_busy_timeout(handle, _busyTimeoutMilliseconds);
        }
    }

    private void RunBatch(List<WriteOperation> batch)
    {
        WriterCommands commands;
        try
        {
            commands = _commands ??= new WriterCommands(_open());
        }
        catch (StateStoreException e)
        {
            FailAll(batch, e);
            return;
        }

        if (!DatabaseFileExists())
        {
            // An open file that was deleted or moved keeps taking writes that nobody will ever read: refuse them, and
            // open the path afresh on the next batch (a restored file, or a new empty one).
            CloseConnection();
            FailAll(batch, new StateStoreException(_store,
                $"'{_path}' was deleted or moved while the store had it open; writes since then were refused. Restore the file "
                + "from a backup, or let the store create an empty one at that path with the next write"));
            return;
        }

        int failedAt;
        try
        {
            failedAt = RunInOneTransaction(commands, batch);
        }
#pragma warning disable CA1031 // Whatever failed, the batch's callers hear of it and the loop carries on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // The transaction as a whole failed (locked, disk full, I/O): nothing of it is kept.
            FailBatch(commands, batch, e);
            return;
        }

        if (failedAt < 0)
        {
            Interlocked.Increment(ref _transactions);
            Interlocked.Add(ref _writes, batch.Count);
            foreach (var operation in batch)
            {
                operation.Complete();
            }

            return;
        }

        // One write failed on its own (a bad argument, a constraint): the batch was rolled back, and each write now runs
        // in a transaction of its own, so only that one fails. (Rare, so the common batch pays for no savepoints.)
        foreach (var operation in batch)
        {
            RunAlone(commands, operation);
        }
    }

    /// <summary>Runs the whole batch in one transaction; returns -1 when it committed, else the index of the write that failed (rolled back).</summary>
    private int RunInOneTransaction(WriterCommands commands, List<WriteOperation> batch)
    {
        commands.Execute("BEGIN IMMEDIATE");
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                batch[i].Execute(commands);
            }
            catch (Exception) when (InTransaction(commands.Connection))
            {
                RollBack(commands);
                return i;
            }
        }

        _beforeCommit(commands);
        commands.Execute("COMMIT");
        return -1;
    }

    private void RunAlone(WriterCommands commands, WriteOperation operation)
    {
        try
        {
            commands.Execute("BEGIN IMMEDIATE");
            operation.Execute(commands);
            commands.Execute("COMMIT");
        }
#pragma warning disable CA1031 // The error goes to this write's caller.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailBatch(commands, [operation], e);
            return;
        }

        Interlocked.Increment(ref _transactions);
        Interlocked.Increment(ref _writes);
        operation.Complete();
    }

    private void FailBatch(WriterCommands commands, List<WriteOperation> batch, Exception e)
    {
        RollBack(commands);
        var sqlite = e as SqliteException;
        if (sqlite is not null && SqliteErrors.BreaksConnection(sqlite))
        {
            CloseConnection();
        }

        foreach (var operation in batch)
        {
            operation.Fail(sqlite is null ? e : SqliteErrors.Wrap(_store, _path, operation.Description, sqlite));
        }
    }

    private bool DatabaseFileExists() =>
        _path.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || File.Exists(_path);

    private static void FailAll(List<WriteOperation> batch, Exception error)
    {
        foreach (var operation in batch)
        {
            operation.Fail(error);
        }
    }

    private static bool InTransaction(SqliteConnection connection) => raw.sqlite3_get_autocommit(connection.Handle) == 0;

    private static void RollBack(WriterCommands commands)
    {
        if (!InTransaction(commands.Connection))
        {
            return;
        }

        try
        {
            commands.Execute("ROLLBACK");
        }
        catch (SqliteException)
        {
            // SQLite rolls back by itself when it cannot: the connection is left outside any transaction either way.
        }
    }

    private void CloseConnection()
    {
        if (_commands is { } commands)
        {
            _commands = null;
            commands.Dispose();
            commands.Connection.Dispose();
            _connectionLost();
        }
    }
}
