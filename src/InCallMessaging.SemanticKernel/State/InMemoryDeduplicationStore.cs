using System.Runtime.InteropServices;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-memory <see cref="IDeduplicationStore"/> for a single host. It expires its own keys: each of its shards
/// drops the expired ones as keys arrive, at most once every <see cref="PurgeInterval"/>, so no timer is needed;
/// <see cref="Purge"/> drops them all at once.
/// </summary>
/// <remarks>
/// A busy host remembers every webhook delivery for a day, so the keys the plugin writes (<c>in:</c> or
/// <c>status:</c>, a message id of the common shape such as <c>SM</c> followed by 32 hex digits, and for statuses a known
/// delivery status)
/// are kept as 24-byte values in lock-sharded dictionaries: no object per key for the garbage collector to trace.
/// Any other key is kept as a string.
/// </remarks>
public sealed class InMemoryDeduplicationStore : IDeduplicationStore
{
    private const int ShardCount = 32;

    /// <summary>How often each shard drops its expired keys as keys arrive.</summary>
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);

    private readonly Shard<SidKey>[] _sidShards;
    private readonly Shard<string>[] _stringShards;
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store that grows as keys arrive, on the system clock.</summary>
    public InMemoryDeduplicationStore()
        : this(0, null)
    {
    }

    /// <summary>Creates a store that grows as deliveries arrive, on <paramref name="timeProvider"/>'s clock.</summary>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public InMemoryDeduplicationStore(TimeProvider? timeProvider)
        : this(0, timeProvider)
    {
    }

    /// <summary>Creates an empty store with room for <paramref name="capacity"/> of the plugin's keys from the start.</summary>
    /// <param name="capacity">
    /// How many deliveries the host expects to remember at once (its webhooks per
    /// <see cref="InCallMessagingOptions.DeduplicationRetention"/>); 0 grows the store as keys arrive. A growing store
    /// copies its tables each time they fill, which a busy host feels as extra garbage collection in its first hours.
    /// </param>
    /// <param name="timeProvider">The clock expiries are measured with; <see cref="TimeProvider.System"/> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public InMemoryDeduplicationStore(int capacity, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ReservedCapacity = capacity;
        _time = timeProvider ?? TimeProvider.System;
        _sidShards = CreateShards<SidKey>(capacity / ShardCount);
        _stringShards = CreateShards<string>(0);
    }

    /// <summary>The room reserved at construction (0: none).</summary>
    internal int ReservedCapacity { get; }

    /// <summary>How many of the plugin's keys the store has room for now, without growing.</summary>
    internal int SidCapacity => _sidShards.Sum(s => s.Capacity);

    /// <summary>How many keys are remembered (expired keys count until they are purged).</summary>
    public int Count => _sidShards.Sum(s => s.Count) + _stringShards.Sum(s => s.Count);

    /// <inheritdoc />
    public ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetUtcNow().UtcTicks;
        var expiry = now + retention.Ticks;
        var first = SidKey.TryParse(key, out var compact)
            ? ShardFor(_sidShards, compact).TryMark(compact, now, expiry)
            : ShardFor(_stringShards, key).TryMark(key, now, expiry);
        return ValueTask.FromResult(first);
    }

    /// <summary>Removes expired keys.</summary>
    /// <returns>How many were removed.</returns>
    public int Purge()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var removed = 0;
        foreach (var shard in _sidShards)
        {
            removed += shard.Purge(now);
        }

        foreach (var shard in _stringShards)
        {
            removed += shard.Purge(now);
        }

        return removed;
    }

    private static Shard<TKey>[] CreateShards<TKey>(int capacityEach)
        where TKey : notnull
    {
        var shards = new Shard<TKey>[ShardCount];
        for (var i = 0; i < shards.Length; i++)
        {
            shards[i] = new Shard<TKey>(capacityEach);
        }

        return shards;
    }

    private static Shard<TKey> ShardFor<TKey>(Shard<TKey>[] shards, TKey key)
        where TKey : notnull =>
        shards[(int)((uint)EqualityComparer<TKey>.Default.GetHashCode(key) % ShardCount)];

    /// <summary>One lock and one dictionary of key to expiry (UTC ticks).</summary>
    private sealed class Shard<TKey>(int capacity)
        where TKey : notnull
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<TKey, long> _expiries = new(capacity, EqualityComparer<TKey>.Default);
        private long _nextPurge;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _expiries.Count;
                }
            }
        }

        public int Capacity
        {
            get
            {
                lock (_gate)
                {
                    return _expiries.EnsureCapacity(0);
                }
            }
        }

        public bool TryMark(TKey key, long now, long expiry)
        {
            lock (_gate)
            {
                if (now >= _nextPurge)
                {
                    PurgeLocked(now);
                }

                ref var stored = ref CollectionsMarshal.GetValueRefOrAddDefault(_expiries, key, out var exists);
                if (exists && stored > now)
                {
                    return false;
                }

                stored = expiry;
                return true;
            }
        }

        public int Purge(long now)
        {
            lock (_gate)
            {
                return PurgeLocked(now);
            }
        }

        private int PurgeLocked(long now)
        {
            _nextPurge = now + PurgeInterval.Ticks;
            var removed = 0;
            foreach (var (key, expiry) in _expiries)
            {
                // Removing during enumeration is allowed for Dictionary<TKey, TValue> since .NET Core 3.0.
                if (expiry <= now && _expiries.Remove(key))
                {
                    removed++;
                }
            }

            if (removed > 0 && _expiries.Count < _expiries.EnsureCapacity(0) / 4)
            {
                // Never below the room reserved at construction: a quiet hour must not undo it.
                _expiries.TrimExcess(Math.Max(_expiries.Count, capacity));
            }

            return removed;
        }
    }

    /// <summary>
    /// <c>{kind}:{SID}</c> or <c>{kind}:{SID}:{status}</c> packed into 24 bytes (the SID's fields inline, so the two
    /// small ones share its padding): the SID, the key's kind and a known status. Two keys are equal exactly when their
    /// strings are.
    /// </summary>
    private readonly record struct SidKey(ulong High, ulong Low, ushort SidType, byte Kind, byte Status)
    {
        private const string InboundPrefix = "in:";
        private const string StatusPrefix = "status:";

        // The delivery status words a status key can end with; any other keeps its key as a string.
        private static readonly string[] Statuses =
        [
            "accepted", "scheduled", "canceled", "queued", "sending", "sent", "failed", "delivered", "undelivered",
            "receiving", "received", "read", "partially_delivered",
        ];

        public static bool TryParse(string key, out SidKey parsed)
        {
            parsed = default;
            ReadOnlySpan<char> rest;
            byte kind;
            if (key.StartsWith(InboundPrefix, StringComparison.Ordinal))
            {
                kind = 1;
                rest = key.AsSpan(InboundPrefix.Length);
            }
            else if (key.StartsWith(StatusPrefix, StringComparison.Ordinal))
            {
                kind = 2;
                rest = key.AsSpan(StatusPrefix.Length);
            }
            else
            {
                return false;
            }

            if (rest.Length < HexMessageId.Length || !HexMessageId.TryParse(rest[..HexMessageId.Length], out var sid))
            {
                return false;
            }

            byte status = 0;
            rest = rest[HexMessageId.Length..];
            if (kind == 1 && !rest.IsEmpty)
            {
                return false;
            }

            if (kind == 2)
            {
                if (rest.Length < 2 || rest[0] != ':')
                {
                    return false;
                }

                var name = rest[1..];
                for (var i = 0; i < Statuses.Length && status == 0; i++)
                {
                    if (name.SequenceEqual(Statuses[i]))
                    {
                        status = (byte)(i + 1);
                    }
                }

                if (status == 0)
                {
                    return false;
                }
            }

            parsed = new SidKey(sid.High, sid.Low, sid.Type, kind, status);
            return true;
        }
    }
}
