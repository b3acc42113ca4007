using System.Threading.Channels;

namespace InCallMessaging.Redis.Internal;

/// <summary>
/// Group commit for inbound messages: one loop reads a queue of <see cref="PendingInbound"/>s and writes every message
/// that queued while the previous batch was in flight (up to <see cref="MaxBatch"/>) with one script call.
/// </summary>
/// <remarks>
/// Under load this turns many script calls into one: one round trip, one pass of Redis's event loop (so one append-only
/// file fsync under <c>appendfsync always</c>) and one completion on the client for many webhooks. Idle, a message is
/// sent at once, alone. Each message is still checked and written on its own inside the script, so a redelivery, or
/// one message Redis refuses, answers only its own caller. A waiter cancelled before its batch is sent is left out of it.
/// </remarks>
internal sealed class InboundBatcher : IAsyncDisposable
{
    /// <summary>The most messages one script call takes.</summary>
    internal const int MaxBatch = 128;

    private readonly Channel<PendingInbound> _queue = Channel.CreateUnbounded<PendingInbound>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly Func<IReadOnlyList<PendingInbound>, Task> _record;
    private readonly string _store;
    private readonly Task _loop;
    private long _batches;
    private long _messages;

    /// <summary>Starts the loop.</summary>
    /// <param name="record">Writes one batch and answers each of its waiters (it may throw: the loop then fails those still waiting).</param>
    /// <param name="store">The store's name, for errors.</param>
    public InboundBatcher(Func<IReadOnlyList<PendingInbound>, Task> record, string store)
    {
        _record = record;
        _store = store;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many script calls (batches) were made.</summary>
    internal long BatchCount => Interlocked.Read(ref _batches);

    /// <summary>How many messages those batches held.</summary>
    internal long MessageCount => Interlocked.Read(ref _messages);

    /// <summary>Queues a message; its task completes when its batch is answered.</summary>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public Task<bool> EnqueueAsync(PendingInbound pending)
    {
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(RedisStateStore), $"{_store}: the store is disposed; it records no more messages.");
        }

        return pending.Task;
    }

    /// <summary>Stops taking messages and waits until the ones queued are written.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingInbound>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var pending))
            {
                if (pending.IsWaiting)
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _messages, batch.Count);
            try
            {
                await _record(batch).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must outlive any batch: the error goes to that batch's callers.
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var pending in batch)
                {
                    pending.Fail(e);
                }
            }

            batch.Clear();
        }
    }
}
