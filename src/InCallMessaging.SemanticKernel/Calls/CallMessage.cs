
namespace InCallMessaging.SemanticKernel;

/// <summary>Which way a recorded message went.</summary>
public enum MessageDirection
{
    /// <summary>From the agent to the caller.</summary>
    Outbound,

    /// <summary>From the caller to the agent.</summary>
    Inbound,
}

/// <summary>A message recorded on a call session: what went out, what came back, and its latest delivery status.</summary>
public sealed class CallMessage
{
    /// <summary>The <see cref="Status"/> of a send whose outcome is unknown: the provider may or may not have sent it.</summary>
    public const string UnknownStatus = "unknown";

    internal CallMessage(MessageDirection direction, MessageChannel channel, string messageId, string senderName,
        string caller, string text, DateTimeOffset timestamp, string? actionName, string? status, IReadOnlyList<InboundMedia>? media = null)
    {
        Direction = direction;
        Channel = channel;
        MessageId = messageId;
        SenderName = senderName;
        Caller = caller;
        Text = text;
        Timestamp = timestamp;
        ActionName = actionName;
        Status = status;
        State = DeliveryStatus.FromWord(status);
        Media = media ?? [];
    }

    /// <summary>Outbound or inbound.</summary>
    public MessageDirection Direction { get; }

    /// <summary>SMS or WhatsApp.</summary>
    public MessageChannel Channel { get; }

    /// <summary>
    /// The provider's message id. For a send whose outcome is unknown (<see cref="Status"/> <c>unknown</c>) it is the
    /// client reference until the provider names the message in a status callback.
    /// </summary>
    public string MessageId { get; internal set; }

    /// <summary>The sender it went through or came in on.</summary>
    public string SenderName { get; }

    /// <summary>The caller's number (E.164).</summary>
    public string Caller { get; }

    /// <summary>The text (for a template send: a description of the template).</summary>
    public string Text { get; }

    /// <summary>
    /// The attachments of a received message (URL and sanitized content type), in the order the caller sent them;
    /// empty for a text-only reply and for sent messages. Fetch one with <see cref="IReplyMediaFetcher"/>.
    /// </summary>
    public IReadOnlyList<InboundMedia> Media { get; }

    /// <summary>When it was sent or received.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The action that sent it (outbound only).</summary>
    public string? ActionName { get; }

    /// <summary>The latest delivery status (outbound), such as <c>queued</c>, <c>delivered</c> or <c>failed</c>.</summary>
    public string? Status { get; internal set; }

    /// <summary>
    /// The latest delivery state (outbound), as the provider mapped its <see cref="Status"/> word; it only moves forward.
    /// </summary>
    public DeliveryState State { get; internal set; }

    /// <summary>The provider's error code when delivery failed.</summary>
    public string? ErrorCode { get; internal set; }

    /// <summary>The order the call recorded it in.</summary>
    internal long Sequence { get; set; }

    /// <summary>The reference this library gave the send (outbound only), echoed by status callbacks that carry it.</summary>
    internal string? ClientReference { get; init; }

    /// <summary>The send reservation it holds (outbound only), given back if the provider reports it failed.</summary>
    internal SendReservationKey? Reservation { get; init; }

    /// <summary>1 once <see cref="Reservation"/> was given back.</summary>
    internal int ReservationReleased;

    /// <summary>
    /// For a free-form WhatsApp message whose action has an approved template: sends that template instead, once, when
    /// the provider reports the 24-hour window closed after the fact. Returns the template message's id, or
    /// <see langword="null"/> when it could not be sent.
    /// </summary>
    internal Func<CancellationToken, Task<string?>>? TemplateFallback;

    /// <summary>Takes <see cref="TemplateFallback"/> so it runs at most once.</summary>
    internal Func<CancellationToken, Task<string?>>? TakeTemplateFallback() => Interlocked.Exchange(ref TemplateFallback, null);
}
