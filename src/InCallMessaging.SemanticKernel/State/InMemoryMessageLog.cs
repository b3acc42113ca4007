using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-memory <see cref="IMessageLog"/>: one host, forgotten on restart, and bounded: past its capacity the oldest
/// messages go first. For tests and throwaway hosts; a voice-agent host that restarts on deploy wants a durable store.
/// </summary>
/// <remarks>
/// Messages are kept by id, with two indexes (per call, and per conversation for <see cref="FindLatestOutboundAsync"/>),
/// so no look-up scans the log. Adding is lock-free on the common path; status updates and removals take one lock.
/// </remarks>
public sealed class InMemoryMessageLog : IMessageLog
{
    private readonly ConcurrentDictionary<(MessageDirection, string), LoggedMessage> _byId = new();
    private readonly ConcurrentQueue<(MessageDirection, string)> _order = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(MessageDirection, string)>> _byCall = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(MessageChannel, string, string), LoggedMessage> _latestOutbound = new();
    private readonly Lock _writes = new();
    private readonly int _capacity;
    private int _count;

    /// <summary>Creates an empty log that keeps at most <paramref name="capacity"/> messages.</summary>
    /// <param name="capacity">The most messages kept; the oldest go first.</param>
    public InMemoryMessageLog(int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>How many messages are kept.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(LoggedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var key = (message.Direction, message.MessageId);
        if (!_byId.TryAdd(key, message))
        {
            return ValueTask.FromResult(false);
        }

        _order.Enqueue(key);
        if (message.CallId is { } callId)
        {
            _byCall.GetOrAdd(callId, static _ => new()).Enqueue(key);
        }

        if (message.Direction == MessageDirection.Outbound && message.CallId is not null)
        {
            _latestOutbound.AddOrUpdate((message.Channel, message.CallerKey, message.SenderIdentity), static (_, added) => added,
                static (_, existing, added) => added.CreatedAt >= existing.CreatedAt ? added : existing, message);
        }

        if (Interlocked.Increment(ref _count) > _capacity)
        {
            while (Volatile.Read(ref _count) > _capacity && _order.TryDequeue(out var oldest))
            {
                Remove(oldest);
            }
        }

        return ValueTask.FromResult(true);
    }

    /// <inheritdoc />
    public ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(status);
        lock (_writes)
        {
            var key = (MessageDirection.Outbound, messageId);
            if (!_byId.TryGetValue(key, out var message))
            {
                if (clientReference is null || !_byId.TryRemove((MessageDirection.Outbound, clientReference), out message))
                {
                    return ValueTask.FromResult(false);
                }

                // Renamed: the same message under the provider's id, in the same place in every index.
                _order.Enqueue(key);
                if (message.CallId is { } callId)
                {
                    _byCall.GetOrAdd(callId, static _ => new()).Enqueue(key);
                }
            }

            var updated = message with
            {
                MessageId = messageId,
                Status = status.Status,
                State = status.State,
                ErrorCode = status.ErrorCode ?? message.ErrorCode,
                StatusHistory = [.. message.StatusHistory, status],
            };
            _byId[key] = updated;
            var conversation = (message.Channel, message.CallerKey, message.SenderIdentity);
            if (_latestOutbound.TryGetValue(conversation, out var latest) && ReferenceEquals(latest, message))
            {
                _latestOutbound.TryUpdate(conversation, updated, latest);
            }

            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_byId.GetValueOrDefault((MessageDirection.Outbound, messageId)) ?? _byId.GetValueOrDefault((MessageDirection.Inbound, messageId)));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default)
    {
        if (!_byCall.TryGetValue(callId, out var keys))
        {
            return ValueTask.FromResult<IReadOnlyList<LoggedMessage>>([]);
        }

        var messages = new List<LoggedMessage>();
        var seen = new HashSet<LoggedMessage>(ReferenceEqualityComparer.Instance);
        foreach (var key in keys)
        {
            if (_byId.TryGetValue(key, out var message) && message.CallId == callId && seen.Add(message))
            {
                messages.Add(message);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<LoggedMessage>>([.. messages.OrderBy(m => m.CreatedAt).ThenBy(m => m.Direction)]);
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default)
    {
        var latest = _latestOutbound.GetValueOrDefault((channel, callerKey, senderIdentity));
        // The index keeps the newest; it answers only while that message is still logged and recent enough.
        return ValueTask.FromResult(latest is not null && latest.CreatedAt >= since && _byId.ContainsKey((MessageDirection.Outbound, latest.MessageId))
            ? _byId[(MessageDirection.Outbound, latest.MessageId)]
            : null);
    }

    /// <inheritdoc />
    public ValueTask<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(RemoveWhere(m => m.CallerKey == callerKey));

    /// <inheritdoc />
    public ValueTask<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(RemoveWhere(m => m.CreatedAt < cutoff));

    /// <summary>Removes matching messages: a scan, fine for erasure and the hourly retention job.</summary>
    private int RemoveWhere(Func<LoggedMessage, bool> predicate)
    {
        var removed = 0;
        foreach (var (key, message) in _byId)
        {
            if (predicate(message) && Remove(key))
            {
                removed++;
            }
        }

        return removed;
    }

    private bool Remove((MessageDirection, string) key)
    {
        lock (_writes)
        {
            if (!_byId.TryRemove(key, out var message))
            {
                return false;
            }

            Interlocked.Decrement(ref _count);
            var conversation = (message.Channel, message.CallerKey, message.SenderIdentity);
            _latestOutbound.TryRemove(new KeyValuePair<(MessageChannel, string, string), LoggedMessage>(conversation, message));
            if (message.CallId is { } callId && _byCall.TryGetValue(callId, out var keys))
            {
                // Oldest first, like the log: drop the call's keys that are gone from the front, and the call once empty.
                while (keys.TryPeek(out var head) && !_byId.ContainsKey(head))
                {
                    keys.TryDequeue(out _);
                }

                if (keys.IsEmpty)
                {
                    _byCall.TryRemove(new KeyValuePair<string, ConcurrentQueue<(MessageDirection, string)>>(callId, keys));
                }
            }

            return true;
        }
    }
}
