using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

public sealed partial class RedisStateStore
{
    /// <inheritdoc />
    /// <remarks>
    /// The key holds its expiry on the store's clock and a Redis TTL of <paramref name="retention"/>: the script treats
    /// a key whose expiry has passed as new, and Redis reclaims it once its TTL runs out.
    /// </remarks>
    public ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        var now = _time.GetUtcNow();
        var ttl = Math.Max(1L, (long)Math.Ceiling(retention.TotalMilliseconds));
        return RunAsync($"Marking webhook '{key}' as seen", async database =>
        {
            var result = await database.ScriptEvaluateAsync(RedisScripts.TryMark, [Key("dedupe:" + key)],
                [Ticks(now), Ticks(now + retention), ttl]).ConfigureAwait(false);
            return (int)result == 1;
        }, cancellationToken);
    }
}
