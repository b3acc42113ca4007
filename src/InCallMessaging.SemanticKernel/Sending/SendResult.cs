namespace InCallMessaging.SemanticKernel;

/// <summary>The outcome of one provider send.</summary>
public sealed record SendResult
{
    /// <summary>Whether the provider accepted the message.</summary>
    public bool Succeeded { get; init; }

    /// <summary>The provider's message id (Twilio's <c>SM...</c>), when accepted.</summary>
    public string? MessageId { get; init; }

    /// <summary>The provider's initial status, such as <c>queued</c> or <c>accepted</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Why the send failed, when it did.</summary>
    public SendFailureReason? Failure { get; init; }

    /// <summary>The provider's own error code, such as <c>21211</c>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>A short explanation the LLM can act on (no secrets, no full phone numbers).</summary>
    public string? Detail { get; init; }

    /// <summary>
    /// Whether the failed request may still have reached the provider and been sent (a 500, 502 or 504, a timeout or a
    /// connection lost after the request went out). Such a send is never repeated automatically: the plugin keeps its
    /// duplicate entry and cap slot, and an identical send is answered <c>may_have_been_sent</c>.
    /// </summary>
    public bool MayHaveBeenSent { get; init; }

    /// <summary>An accepted message.</summary>
    public static SendResult Sent(string messageId, string? status = null) =>
        new() { Succeeded = true, MessageId = messageId, Status = status };

    /// <summary>A failed send that certainly did not send the message.</summary>
    public static SendResult Failed(SendFailureReason reason, string detail, string? errorCode = null) =>
        new() { Succeeded = false, Failure = reason, Detail = detail, ErrorCode = errorCode };

    /// <summary>A failed send whose outcome is unknown: the provider may have sent the message (see <see cref="MayHaveBeenSent"/>).</summary>
    public static SendResult OutcomeUnknown(SendFailureReason reason, string detail, string? errorCode = null) =>
        Failed(reason, detail, errorCode) with { MayHaveBeenSent = true };
}

/// <summary>Why a message could not be sent. Each value maps to a distinct instruction for the LLM.</summary>
public enum SendFailureReason
{
    /// <summary>The number cannot receive texts (Twilio 21211): ask for another number or read the content aloud.</summary>
    InvalidRecipient,

    /// <summary>The destination country or region cannot be texted (Twilio 21408).</summary>
    RegionNotSupported,

    /// <summary>The caller opted out (replied STOP; Twilio 21610): do not retry.</summary>
    OptedOut,

    /// <summary>The number is a landline (Twilio 21614).</summary>
    NotMobile,

    /// <summary>WhatsApp free-form text outside the 24-hour window (Twilio 63016): a Content template is needed.</summary>
    WhatsAppWindowClosed,

    /// <summary>The number is not on WhatsApp (Twilio 63024).</summary>
    NotOnWhatsApp,

    /// <summary>The provider is rate limiting (HTTP 429 / Twilio 20429) and retries were exhausted.</summary>
    RateLimited,

    /// <summary>The provider failed or could not be reached (5xx, connection refused) after bounded retries.</summary>
    ProviderUnavailable,

    /// <summary>The request went out but no answer came in time: the message may or may not have been sent.</summary>
    Timeout,

    /// <summary>The provider rejected the request for another reason (validation, authentication, content).</summary>
    Rejected,
}
