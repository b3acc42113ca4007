namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A named sender: which provider carries its messages and the identity callers see and reply to. Only what every
/// provider shares lives here; a provider's own settings live in its own options (<see cref="Http"/> for the custom
/// HTTPS API, the provider package's options for the others).
/// </summary>
/// <remarks>Bound from <c>InCallMessaging:Senders:{name}</c>.</remarks>
public sealed class MessageSenderOptions
{
    /// <summary>The provider that carries messages: <c>Loopback</c>, <c>Http</c> or <c>Twilio</c> (case-insensitive).</summary>
    /// <value>The default value is <c>Loopback</c>.</value>
    public string Provider { get; set; } = "Loopback";

    /// <summary>The sending number in E.164 form (for WhatsApp too: the <c>whatsapp:</c> prefix is added by the provider).</summary>
    public string? From { get; set; }

    /// <summary>
    /// The provider's id for a pool of sending numbers, sent through instead of <see cref="From"/> (Twilio: a Messaging
    /// Service SID, <c>MG...</c>). Replies that name it find this sender; its shape is checked by the provider.
    /// </summary>
    public string? ServiceId { get; set; }

    /// <summary>The settings of the <c>Http</c> provider (ignored by the others).</summary>
    public HttpSenderOptions Http { get; set; } = new();

    /// <summary>
    /// The identity the caller sees and replies to: <see cref="From"/>, else <see cref="ServiceId"/>, else the sender's
    /// name. Consent is kept per identity, so renaming a sender loses nothing.
    /// </summary>
    internal string AddressOr(string senderName) => From ?? ServiceId ?? senderName;
}
