using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel.Replies;

/// <summary>The in-memory <see cref="IDeduplicationStore"/> for a single host. Expired keys are purged periodically.</summary>
public sealed class InMemoryDeduplicationStore(TimeProvider? timeProvider = null) : IDeduplicationStore
{
    private readonly ConcurrentDictionary<string, long> _expiries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>How many keys are remembered.</summary>
    public int Count => _expiries.Count;

    /// <inheritdoc />
    public ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var expiry = now + retention.Ticks;
        while (true)
        {
            if (_expiries.TryAdd(key, expiry))
            {
                return ValueTask.FromResult(true);
            }

            if (!_expiries.TryGetValue(key, out var existing))
            {
                continue;
            }

            if (existing > now)
            {
                return ValueTask.FromResult(false);
            }

            if (_expiries.TryUpdate(key, expiry, existing))
            {
                return ValueTask.FromResult(true);
            }
        }
    }

    /// <summary>Removes expired keys.</summary>
    /// <returns>How many were removed.</returns>
    public int Purge()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var removed = 0;
        foreach (var entry in _expiries)
        {
            if (entry.Value <= now && _expiries.TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }
}
