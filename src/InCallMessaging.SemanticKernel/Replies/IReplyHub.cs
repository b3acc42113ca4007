namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Receives inbound texts and delivery-status updates from every provider, matches each to its call session and
/// delivers it. Webhook endpoints call it; so can a custom provider or a test.
/// </summary>
public interface IReplyHub
{
    /// <summary>Delivers one inbound message. Idempotent per <see cref="InboundMessage.MessageId"/>.</summary>
    /// <param name="message">The parsed inbound message.</param>
    /// <param name="cancellationToken">Cancels the delivery (after-call handlers observe it).</param>
    ValueTask<ReplyDeliveryOutcome> DeliverAsync(InboundMessage message, CancellationToken cancellationToken = default);

    /// <summary>Applies a delivery-status update. Idempotent per (message id, status) and monotonic.</summary>
    /// <param name="update">The status update.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default);

    /// <summary>The most recent inbound messages no call could be matched to (bounded).</summary>
    IReadOnlyList<InboundMessage> UnmatchedReplies { get; }
}
