namespace InCallMessaging.SemanticKernel;

/// <summary>A text (or media) message from a caller, as any provider's webhook parsed it.</summary>
/// <remarks>Everything in it comes from outside: treat <see cref="Text"/> as untrusted input.</remarks>
public sealed record InboundMessage
{
    /// <summary>The provider that delivered it (<c>Twilio</c>, <c>Http</c>, <c>Loopback</c>).</summary>
    public required string Provider { get; init; }

    /// <summary>The provider's id of this message (Twilio's <c>MessageSid</c>): the deduplication key.</summary>
    public required string MessageId { get; init; }

    /// <summary>SMS or WhatsApp.</summary>
    public required MessageChannel Channel { get; init; }

    /// <summary>The caller's number in E.164 form, without any <c>whatsapp:</c> prefix.</summary>
    public required string From { get; init; }

    /// <summary>The agent-side address the caller wrote to (E.164, without <c>whatsapp:</c>).</summary>
    public required string To { get; init; }

    /// <summary>The provider's id of the sending pool that received it, when the provider says so (Twilio: the Messaging Service SID); matched against <see cref="MessageSenderOptions.ServiceId"/>.</summary>
    public string? ServiceId { get; init; }

    /// <summary>The sender name it was written to, when the provider knows it (the loopback does).</summary>
    public string? SenderName { get; init; }

    /// <summary>The message text (may be empty for a media-only message).</summary>
    public string Text { get; init; } = "";

    /// <summary>Attached media.</summary>
    public IReadOnlyList<InboundMedia> Media { get; init; } = [];

    /// <summary>The outbound message the caller replied to, when the provider says so (Twilio <c>OriginalRepliedMessageSid</c>).</summary>
    public string? InReplyToMessageId { get; init; }

    /// <summary>The provider's opt-out classification, if any (Twilio <c>OptOutType</c>: STOP, START, HELP).</summary>
    public string? OptOutType { get; init; }

    /// <summary>When it was received; filled from the hub's clock when left default.</summary>
    public DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>One media item attached to an inbound message.</summary>
/// <param name="Url">Where the provider stores it.</param>
/// <param name="ContentType">Its MIME type, such as <c>image/jpeg</c>.</param>
public sealed record InboundMedia(Uri Url, string ContentType);

/// <summary>A provider's delivery-status report for an outbound message.</summary>
public sealed record DeliveryStatusUpdate
{
    /// <summary>The provider's message id (Twilio <c>MessageSid</c>).</summary>
    public required string MessageId { get; init; }

    /// <summary>The provider's status word: <c>queued</c>, <c>sent</c>, <c>delivered</c>, <c>read</c>, <c>failed</c>, <c>undelivered</c>, ...</summary>
    public required string Status { get; init; }

    /// <summary>
    /// The delivery state the provider mapped its <see cref="Status"/> word to. Left unset, it is read from
    /// <see cref="Status"/> in the library's own words (<c>queued</c>, <c>sending</c>, <c>sent</c>, <c>delivered</c>,
    /// <c>read</c>, <c>failed</c>, <c>undelivered</c>, <c>canceled</c>, ...).
    /// </summary>
    public DeliveryState State
    {
        get => _state ?? DeliveryStatus.FromWord(Status.ToLowerInvariant());
        init => _state = value;
    }

    private readonly DeliveryState? _state;

    /// <summary>The state the provider set, or <see langword="null"/> when it gave only the word.</summary>
    internal DeliveryState? MappedState => _state;

    /// <summary>The provider's error code on failure (Twilio <c>ErrorCode</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>A short description of the failure, when known.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>
    /// The reference this library gave the send (<see cref="OutboundMessage.ClientReference"/>), when the provider
    /// echoes it (Twilio: the <c>ref</c> query parameter of the status callback URL). It lets a status settle a send whose
    /// provider answer never came, so its message id was never learned.
    /// </summary>
    public string? ClientReference { get; init; }

    /// <summary>
    /// What the failure means, when the provider knows (for example <see cref="SendFailureReason.WhatsAppWindowClosed"/>
    /// for Twilio's 63016): it decides whether a WhatsApp template is sent instead, and how the transcript line reads.
    /// </summary>
    public SendFailureReason? FailureReason { get; init; }
}

/// <summary>What the hub did with an inbound message.</summary>
public enum ReplyDeliveryOutcome
{
    /// <summary>Matched to a live call: the variable is set, the transcript line queued and any waiting action resumed.</summary>
    DeliveredToCall,

    /// <summary>Matched to a call that has ended: recorded and handed to the after-call handlers.</summary>
    DeliveredAfterCall,

    /// <summary>No call could be matched: recorded in <see cref="IReplyHub.UnmatchedReplies"/>.</summary>
    Unmatched,

    /// <summary>The same message was delivered before (a provider retry): ignored.</summary>
    Duplicate,

    /// <summary>Its call is live on another instance: handed to that instance (<see cref="IReplyRouter"/>), durably.</summary>
    HandedOff,
}

/// <summary>What the hub did with a delivery-status update.</summary>
public enum StatusUpdateOutcome
{
    /// <summary>Applied to the recorded message.</summary>
    Applied,

    /// <summary>Older than the recorded status (callbacks arrive out of order) or a repeat: ignored.</summary>
    Ignored,

    /// <summary>No recorded message has this id.</summary>
    UnknownMessage,

    /// <summary>Its message's call is live on another instance: handed to that instance (<see cref="IReplyRouter"/>), durably.</summary>
    HandedOff,
}
