using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>
/// Copies the write-ahead log back into the database file on a connection of its own, every <see cref="Interval"/>
/// (PASSIVE: it neither waits for nor blocks the writer), then asks the writer to start the log over between two
/// batches (<see cref="SqliteWriter.RequestLogRestart"/>). The writer's own automatic checkpoints are off, so the copy
/// and its disk flush never sit inside a write batch.
/// </summary>
/// <remarks>
/// A log under steady writes never resets by itself, and a RESTART from this connection rarely gets in between the
/// writer's back-to-back batches: the log grew to 600 MB in 16 s of webhook load, and appending past its end cost
/// more CPU (the file system zeroing new blocks) than SQLite itself. Restarted each second, it stays about a second of
/// writes long and is rewritten in place.
/// </remarks>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly string _connectionString;
    private readonly Action _copied;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="connectionString">A connection string for the file (the readers').</param>
    /// <param name="copied">Called after each periodic copy (the writer then restarts the log between two batches).</param>
    public SqliteCheckpointer(string connectionString, Action copied)
    {
        _connectionString = connectionString;
        _copied = copied;
        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Checkpoint())
                {
                    _copied();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }

        Checkpoint();
    }

    private bool Checkpoint()
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            command.ExecuteNonQuery();
            return true;
        }
        catch (SqliteException)
        {
            // The next tick tries again; the writer reports any real trouble with the file to its callers.
            return false;
        }
    }
}
