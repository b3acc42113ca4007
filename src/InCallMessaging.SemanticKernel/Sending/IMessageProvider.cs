namespace InCallMessaging.SemanticKernel;

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

    /// <summary>
    /// Checks, at start-up, the settings of a sender that names this provider: the provider's own rules (an address
    /// shape, an endpoint, a timeout). Each problem names the field and the fix; the caller prefixes the sender.
    /// </summary>
    /// <param name="sender">The sender's settings.</param>
    /// <returns>The problems, none when the settings suit this provider.</returns>
    IEnumerable<string> ValidateSender(MessageSenderOptions sender) => [];

    /// <summary>
    /// Checks, at start-up, the provider-specific fields of an action sent through this provider (such as the shape of
    /// its WhatsApp template's id, or how many template variables the provider accepts). Each problem names the field
    /// and the fix; the caller prefixes the action.
    /// </summary>
    /// <param name="action">The configured action.</param>
    /// <returns>The problems, none when the action suits this provider.</returns>
    IEnumerable<string> ValidateAction(InCallMessageAction action) => [];
}
