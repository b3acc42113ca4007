using System.Threading.Channels;

namespace InCallMessaging.Redis.Internal;

/// <summary>
/// Group commit for inbound messages: one loop reads a queue of <see cref="PendingInbound"/>s and writes every message
/// that queued while earlier batches were in flight (up to <see cref="MaxBatch"/>) with one script call, with at most
/// <see cref="MaxInFlight"/> script calls in flight.
/// </summary>
/// <remarks>
/// Under load this turns many script calls into one: one round trip, one pass of Redis's event loop (so one append-only
/// file fsync under <c>appendfsync always</c>) and one completion on the client for many webhooks. Idle, a message is
/// sent at once, alone. A second batch in flight keeps Redis busy while the client reads the first one's answer and
/// wakes its callers; Redis runs scripts one at a time, so a batch sees every write of the one before it. Each message
/// is still checked and written on its own inside the script, so a redelivery, or one message Redis refuses, answers
/// only its own caller. A waiter cancelled before its batch is sent is left out of it.
/// </remarks>
internal sealed class InboundBatcher : IAsyncDisposable
{
    /// <summary>The most messages one script call takes.</summary>
    internal const int MaxBatch = 128;

    /// <summary>The most script calls in flight at once.</summary>
    internal const int MaxInFlight = 2;

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
        var reader = _queue.Reader;
        using var slots = new SemaphoreSlim(MaxInFlight, MaxInFlight);
        var inFlight = new List<Task>(MaxInFlight);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Messages keep queuing while both slots are busy: they make the next batch.
            await slots.WaitAsync().ConfigureAwait(false);
            var batch = new List<PendingInbound>(MaxBatch);
            while (batch.Count < MaxBatch && reader.TryRead(out var pending))
            {
                if (pending.IsWaiting)
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count == 0)
            {
                slots.Release();
                continue;
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _messages, batch.Count);
            inFlight.RemoveAll(task => task.IsCompleted);
            inFlight.Add(WriteAsync(batch, slots));
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
    }

    /// <summary>Writes one batch, then frees its slot; an error goes to the batch's callers still waiting.</summary>
    private async Task WriteAsync(List<PendingInbound> batch, SemaphoreSlim slots)
    {
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
        finally
        {
            slots.Release();
        }
    }
}
