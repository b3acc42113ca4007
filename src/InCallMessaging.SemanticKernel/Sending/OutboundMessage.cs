namespace InCallMessaging.SemanticKernel;

/// <summary>A fully rendered message ready for a provider: every placeholder is resolved and the recipient is E.164.</summary>
public sealed record OutboundMessage
{
    /// <summary>The configured sender's name (a key of <see cref="InCallMessagingOptions.Senders"/>).</summary>
    public required string SenderName { get; init; }

    /// <summary>The configured sender: its provider and "from" identity.</summary>
    public required MessageSenderOptions Sender { get; init; }

    /// <summary>SMS or WhatsApp.</summary>
    public required MessageChannel Channel { get; init; }

    /// <summary>The recipient in E.164 form (<c>+14155550100</c>), without any <c>whatsapp:</c> prefix.</summary>
    public required string To { get; init; }

    /// <summary>The text to send; <see langword="null"/> when <see cref="Content"/> is used.</summary>
    public string? Body { get; init; }

    /// <summary>A WhatsApp Content template to send instead of <see cref="Body"/>.</summary>
    public WhatsAppContent? Content { get; init; }

    /// <summary>Media to attach (SMS/MMS and free-form WhatsApp only).</summary>
    public IReadOnlyList<Uri> MediaUrls { get; init; } = [];

    /// <summary>The call this message belongs to.</summary>
    public required string CallId { get; init; }

    /// <summary>The action that produced it.</summary>
    public required string ActionName { get; init; }

    /// <summary>A unique id the plugin gave this send, usable as an idempotency key by providers that support one.</summary>
    public required string ClientReference { get; init; }
}

/// <summary>A rendered WhatsApp Content template: an approved <c>HX...</c> SID and its numbered variables.</summary>
/// <param name="TemplateId">The approved template's SID: <c>HX</c> followed by 32 hex digits.</param>
/// <param name="Variables">The rendered variables keyed "1", "2", ...</param>
public sealed record WhatsAppContent(string TemplateId, IReadOnlyDictionary<string, string> Variables);
