namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Optional, for a store that is both the <see cref="IMessageLog"/> and the <see cref="IDeduplicationStore"/>: it
/// records an inbound message and decides whether it is a first delivery in one atomic write, instead of two. The
/// reply hub uses it when the registered log and deduplication store are the same object that implements it.
/// </summary>
public interface IInboundMessageRecorder
{
    /// <summary>
    /// Logs <paramref name="message"/> (inbound) and decides, in the same atomic write, whether
    /// <paramref name="deliveryKey"/> is seen for the first time. The store may keep that mark in the log itself (the
    /// message's unique key), which it keeps at least as long as <paramref name="retention"/>.
    /// </summary>
    /// <param name="message">The inbound message.</param>
    /// <param name="deliveryKey">The delivery's deduplication key (<c>in:</c> and the provider's message id).</param>
    /// <param name="retention">How long the mark must be remembered at least.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> for the first delivery; <see langword="false"/> for a redelivery.</returns>
    ValueTask<bool> RecordInboundAsync(LoggedMessage message, string deliveryKey, TimeSpan retention, CancellationToken cancellationToken = default);
}
