namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A text rendered during a call by an after-call action (<see cref="ActionTiming.AfterCall"/>) and kept until the
/// call ends: everything needed to send it, even from a process started after the one that scheduled it. Kept in an
/// <see cref="IScheduledMessageStore"/> only until it is taken for sending.
/// </summary>
public sealed record ScheduledMessage
{
    /// <summary>The send's client reference: also the message's id in the <see cref="IMessageLog"/> until the provider names it.</summary>
    public required string Id { get; init; }

    /// <summary>The call that scheduled it.</summary>
    public required string CallId { get; init; }

    /// <summary>The after-call action that scheduled it (its sender and provider are looked up by this name when it is sent).</summary>
    public required string ActionName { get; init; }

    /// <summary>The configured sender's name.</summary>
    public required string SenderName { get; init; }

    /// <summary>The sending number (E.164) or service id: the identity consent is kept by.</summary>
    public required string SenderIdentity { get; init; }

    /// <summary>SMS or WhatsApp.</summary>
    public required MessageChannel Channel { get; init; }

    /// <summary>The recipient (E.164), checked against the recipient policy when it was scheduled.</summary>
    public required string To { get; init; }

    /// <summary>The recipient's key (<see cref="CallerKeys.Of"/>): whose opt-out is checked before the send.</summary>
    public required string CallerKey { get; init; }

    /// <summary>The rendered text; <see langword="null"/> for a WhatsApp template send.</summary>
    public string? Body { get; init; }

    /// <summary>The approved WhatsApp template's id, for a template send.</summary>
    public string? TemplateId { get; init; }

    /// <summary>The template's rendered variables, for a template send.</summary>
    public IReadOnlyDictionary<string, string>? TemplateVariables { get; init; }

    /// <summary>The rendered media URLs.</summary>
    public IReadOnlyList<string> MediaUrls { get; init; } = [];

    /// <summary>When it was scheduled.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
