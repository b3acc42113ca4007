namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-memory <see cref="IMessageLog"/>: one host, forgotten on restart, and bounded: past its capacity the oldest
/// messages go first. For tests and throwaway hosts; a voice-agent host that restarts on deploy wants a durable store.
/// </summary>
/// <remarks>
/// Messages are kept by id, with two indexes (per call, and per conversation for <see cref="FindLatestOutboundAsync"/>),
/// so no look-up scans the log. Entries also queue in the order they were added: an add to a full log evicts the
/// oldest, so it costs the same whether the log is full or not. One lock guards it all; every operation under it is a
/// few dictionary steps.
/// </remarks>
public sealed class InMemoryMessageLog : IMessageLog
{
    private readonly Dictionary<(MessageDirection, string), Entry> _byId = [];
    private readonly Dictionary<string, Queue<Entry>> _byCall = new(StringComparer.Ordinal);
    private readonly Dictionary<(MessageChannel, string, string), Entry> _latestOutbound = [];
    private readonly Queue<Entry> _order = new();
    private readonly Lock _gate = new();
    private readonly int _capacity;

    /// <summary>Creates an empty log that keeps at most <paramref name="capacity"/> messages.</summary>
    /// <param name="capacity">The most messages kept; the oldest go first.</param>
    public InMemoryMessageLog(int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>How many messages are kept.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(LoggedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            var key = (message.Direction, message.MessageId);
            if (_byId.ContainsKey(key))
            {
                return ValueTask.FromResult(false);
            }

            // Erased entries are skipped here, where they reach the front.
            while (_byId.Count >= _capacity && _order.TryDequeue(out var oldest))
            {
                if (oldest.Live)
                {
                    Remove(oldest);
                }
            }

            var entry = new Entry(key, message);
            _order.Enqueue(entry);
            _byId.Add(key, entry);
            if (message.CallId is { } callId)
            {
                if (!_byCall.TryGetValue(callId, out var entries))
                {
                    _byCall.Add(callId, entries = new Queue<Entry>());
                }

                entries.Enqueue(entry);
            }

            if (message.Direction == MessageDirection.Outbound && message.CallId is not null)
            {
                var conversation = (message.Channel, message.CallerKey, message.SenderIdentity);
                if (!_latestOutbound.TryGetValue(conversation, out var latest) || message.CreatedAt >= latest.Message.CreatedAt)
                {
                    _latestOutbound[conversation] = entry;
                }
            }

            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(status);
        lock (_gate)
        {
            var key = (MessageDirection.Outbound, messageId);
            if (!_byId.TryGetValue(key, out var entry))
            {
                if (clientReference is null || !_byId.Remove((MessageDirection.Outbound, clientReference), out entry))
                {
                    return ValueTask.FromResult(false);
                }

                // Renamed: the same entry (same slot, same indexes) under the provider's id.
                entry.Key = key;
                _byId.Add(key, entry);
            }

            var message = entry.Message;
            entry.Message = message with
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
    public ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var entry = _byId.GetValueOrDefault((MessageDirection.Outbound, messageId)) ?? _byId.GetValueOrDefault((MessageDirection.Inbound, messageId));
            return ValueTask.FromResult(entry?.Message);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default)
    {
        List<LoggedMessage> messages;
        lock (_gate)
        {
            if (!_byCall.TryGetValue(callId, out var entries))
            {
                return ValueTask.FromResult<IReadOnlyList<LoggedMessage>>([]);
            }

            messages = [.. entries.Where(e => e.Live).Select(e => e.Message)];
        }

        return ValueTask.FromResult<IReadOnlyList<LoggedMessage>>([.. messages.OrderBy(m => m.CreatedAt).ThenBy(m => m.Direction)]);
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // The index keeps the newest; it answers only while that message is recent enough.
            var latest = _latestOutbound.GetValueOrDefault((channel, callerKey, senderIdentity))?.Message;
            return ValueTask.FromResult(latest is not null && latest.CreatedAt >= since ? latest : null);
        }
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
        lock (_gate)
        {
            var doomed = _byId.Values.Where(e => predicate(e.Message)).ToList();
            foreach (var entry in doomed)
            {
                Remove(entry);
            }

            return doomed.Count;
        }
    }

    /// <summary>Takes a live entry out of every index (the order queue skips it later). Under the lock.</summary>
    private void Remove(Entry entry)
    {
        entry.Live = false;
        _byId.Remove(entry.Key);
        var message = entry.Message;
        var conversation = (message.Channel, message.CallerKey, message.SenderIdentity);
        if (_latestOutbound.TryGetValue(conversation, out var latest) && ReferenceEquals(latest, entry))
        {
            _latestOutbound.Remove(conversation);
        }

        if (message.CallId is { } callId && _byCall.TryGetValue(callId, out var entries))
        {
            // Oldest first, like the log: drop the call's entries that are gone from the front, and the call once empty.
            while (entries.TryPeek(out var head) && !head.Live)
            {
                entries.Dequeue();
            }

            if (entries.Count == 0)
            {
                _byCall.Remove(callId);
            }
        }
    }

    /// <summary>A logged message; its key changes when a status renames it.</summary>
    private sealed class Entry((MessageDirection, string) key, LoggedMessage message)
    {
        public (MessageDirection, string) Key { get; set; } = key;

        public LoggedMessage Message { get; set; } = message;

        public bool Live { get; set; } = true;
    }
}
