namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Remembers which webhook deliveries were already processed. Check-and-mark is one atomic step so two concurrent
/// redeliveries cannot both pass. The in-memory default suits one host; a shared store (Redis) suits several. A store
/// expires its own keys once their retention ends (a Redis key's TTL, say): nothing purges it from outside.
/// </summary>
public interface IDeduplicationStore
{
    /// <summary>Marks <paramref name="key"/> as seen.</summary>
    /// <param name="key">A provider-qualified key, for example <c>in:SM123</c> or <c>status:SM123:delivered</c>.</param>
    /// <param name="retention">How long to remember it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> the first time; <see langword="false"/> for a repeat.</returns>
    ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default);
}
