using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>
/// Copies the write-ahead log back into the database file on a connection of its own, every <see cref="Interval"/>
/// (PASSIVE: it never waits for, nor blocks, the writer or the readers). The writer's own automatic checkpoints are
/// off, so a checkpoint's disk flush never sits inside a write batch, and the log does not grow without bound.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int RestartEvery = 5;

    private readonly string _connectionString;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SqliteCheckpointer(string connectionString)
    {
        _connectionString = connectionString;
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
            var tick = 0;
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                // PASSIVE never waits, but under steady writes it never catches up with the end of the log, so the log
                // would only grow: every few seconds a RESTART waits a moment for the writer and lets it start over.
                Checkpoint(++tick % RestartEvery == 0 ? "RESTART" : "PASSIVE");
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }

        Checkpoint("PASSIVE");
    }

    private void Checkpoint(string mode)
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA wal_checkpoint({mode})";
            command.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The next tick tries again; the writer reports any real trouble with the file to its callers.
        }
    }
}
