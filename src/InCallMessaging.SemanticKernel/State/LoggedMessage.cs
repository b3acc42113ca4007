namespace InCallMessaging.SemanticKernel;

/// <summary>
/// One message in the <see cref="IMessageLog"/>. The caller's number and the text are kept only as configured
/// (<see cref="StateOptions"/>): by default the number is masked and the text is not kept, only its hash.
/// </summary>
public sealed record LoggedMessage
{
    /// <summary>The provider's message id (for a send whose outcome is unknown: its client reference until a status names it).</summary>
    public required string MessageId { get; init; }

    /// <summary>Outbound or inbound.</summary>
    public required MessageDirection Direction { get; init; }

    /// <summary>SMS or WhatsApp.</summary>
    public required MessageChannel Channel { get; init; }

    /// <summary>The call it belongs to; <see langword="null"/> for an inbound message that matched no call.</summary>
    public string? CallId { get; init; }

    /// <summary>The action that sent it (outbound only).</summary>
    public string? ActionName { get; init; }

    /// <summary>The configured sender's name.</summary>
    public required string SenderName { get; init; }

    /// <summary>The sending number (E.164) or service id: the identity consent and reply matching are kept by.</summary>
    public required string SenderIdentity { get; init; }

    /// <summary>The caller's key (<see cref="CallerKeys.Of"/>): how the caller is found and erased.</summary>
    public required string CallerKey { get; init; }

    /// <summary>The caller's number as configured: masked (<c>+1415***0100</c>) unless <see cref="StateOptions.StoreCallerNumbers"/>.</summary>
    public required string Caller { get; init; }

    /// <summary>The text, when <see cref="StateOptions.StoreMessageText"/> is on; otherwise <see langword="null"/>.</summary>
    public string? Text { get; init; }

    /// <summary>A 128-bit XXH3 hash (hex) of the text, or of the template id and its variables: what was sent, without the words.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The approved template's id, for a template send.</summary>
    public string? TemplateId { get; init; }

    /// <summary>The media URLs sent or received.</summary>
    public IReadOnlyList<string> MediaUrls { get; init; } = [];

    /// <summary>The send's client reference (outbound only).</summary>
    public string? ClientReference { get; init; }

    /// <summary>For an inbound message: the outbound message it answers, when known.</summary>
    public string? InReplyTo { get; init; }

    /// <summary>When it was sent or received.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The latest status word (<c>queued</c>, <c>delivered</c>, <c>received</c>, <c>unknown</c>, ...).</summary>
    public required string Status { get; init; }

    /// <summary>The latest status as a state.</summary>
    public DeliveryState State { get; init; }

    /// <summary>The latest error code, when the provider gave one.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Every status after the first, oldest first.</summary>
    public IReadOnlyList<LoggedStatus> StatusHistory { get; init; } = [];
}

/// <summary>One delivery status in a <see cref="LoggedMessage"/>'s history.</summary>
/// <param name="Status">The provider's word, lower case.</param>
/// <param name="State">The word as a state.</param>
/// <param name="ErrorCode">The provider's error code, if any.</param>
/// <param name="At">When it was applied.</param>
public sealed record LoggedStatus(string Status, DeliveryState State, string? ErrorCode, DateTimeOffset At);
