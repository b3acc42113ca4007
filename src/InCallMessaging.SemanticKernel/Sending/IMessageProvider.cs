namespace InCallMessaging.SemanticKernel.Sending;

/// <summary>
/// A transport that carries outbound messages: Twilio, a custom HTTPS API or the in-process loopback.
/// Senders in <see cref="InCallMessagingOptions.Senders"/> name the provider they use by <see cref="Name"/>.
/// </summary>
/// <remarks>
/// Implementations never throw for delivery problems: they return <see cref="SendResult.Failed"/> with a reason the
/// LLM can act on. Only cancellation is reported by exception.
/// </remarks>
public interface IMessageProvider
{
    /// <summary>The provider name a sender refers to, such as <c>Twilio</c>, <c>Http</c> or <c>Loopback</c> (case-insensitive).</summary>
    string Name { get; }

    /// <summary>Sends one message.</summary>
    /// <param name="message">The fully rendered, validated message.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The outcome: a provider message id on success, a failure reason otherwise.</returns>
    ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}
