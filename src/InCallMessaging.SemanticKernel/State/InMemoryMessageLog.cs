using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-memory <see cref="IMessageLog"/>: one host, forgotten on restart, and bounded: past its capacity the oldest
/// messages go first. For tests and throwaway hosts; a voice-agent host that restarts on deploy wants a durable store.
/// </summary>
public sealed class InMemoryMessageLog : IMessageLog
{
    private readonly ConcurrentDictionary<(MessageDirection, string), LoggedMessage> _byId = new();
    private readonly ConcurrentQueue<(MessageDirection, string)> _order = new();
    private readonly Lock _statusWrites = new();
    private readonly int _capacity;

    /// <summary>Creates an empty log that keeps at most <paramref name="capacity"/> messages.</summary>
    /// <param name="capacity">The most messages kept; the oldest go first.</param>
    public InMemoryMessageLog(int capacity = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>How many messages are kept.</summary>
    public int Count => _byId.Count;

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
        while (_byId.Count > _capacity && _order.TryDequeue(out var oldest))
        {
            _byId.TryRemove(oldest, out _);
        }

        return ValueTask.FromResult(true);
    }

    /// <inheritdoc />
    public ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(status);
        lock (_statusWrites)
        {
            var key = (MessageDirection.Outbound, messageId);
            if (!_byId.TryGetValue(key, out var message))
            {
                if (clientReference is null || !_byId.TryRemove((MessageDirection.Outbound, clientReference), out message))
                {
                    return ValueTask.FromResult(false);
                }

                _order.Enqueue(key);
            }

            _byId[key] = message with
            {
                MessageId = messageId,
                Status = status.Status,
                State = status.State,
                ErrorCode = status.ErrorCode ?? message.ErrorCode,
                StatusHistory = [.. message.StatusHistory, status],
            };
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_byId.GetValueOrDefault((MessageDirection.Outbound, messageId)) ?? _byId.GetValueOrDefault((MessageDirection.Inbound, messageId)));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<LoggedMessage>>(
            [.. _byId.Values.Where(m => m.CallId == callId).OrderBy(m => m.CreatedAt).ThenBy(m => m.Direction)]);

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_byId.Values
            .Where(m => m.Direction == MessageDirection.Outbound && m.Channel == channel && m.CallerKey == callerKey
                && m.SenderIdentity == senderIdentity && m.CreatedAt >= since && m.CallId is not null)
            .MaxBy(m => m.CreatedAt));

    /// <inheritdoc />
    public ValueTask<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(RemoveWhere(m => m.CallerKey == callerKey));

    /// <inheritdoc />
    public ValueTask<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(RemoveWhere(m => m.CreatedAt < cutoff));

    private int RemoveWhere(Func<LoggedMessage, bool> predicate)
    {
        var removed = 0;
        foreach (var (key, message) in _byId)
        {
            if (predicate(message) && _byId.TryRemove(new KeyValuePair<(MessageDirection, string), LoggedMessage>(key, message)))
            {
                removed++;
            }
        }

        return removed;
    }
}
