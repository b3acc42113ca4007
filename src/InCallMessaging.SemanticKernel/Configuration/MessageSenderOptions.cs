namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A named sender: which provider carries its messages and the "from" identity callers see and reply to.
/// </summary>
/// <remarks>Bound from <c>InCallMessaging:Senders:{name}</c>.</remarks>
public sealed class MessageSenderOptions
{
    /// <summary>The provider that carries messages: <c>Loopback</c>, <c>Http</c> or <c>Twilio</c> (case-insensitive).</summary>
    /// <value>The default value is <c>Loopback</c>.</value>
    public string Provider { get; set; } = "Loopback";

    /// <summary>The sending number in E.164 form (for WhatsApp too: the <c>whatsapp:</c> prefix is added by the provider).</summary>
    public string? From { get; set; }

    /// <summary>A Twilio Messaging Service SID (<c>MG...</c>) to send through instead of <see cref="From"/>.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>For the <c>Http</c> provider: the HTTPS endpoint that receives <c>POST {"to","message","channel",...}</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>For the <c>Http</c> provider: headers added to every request (for example <c>Authorization</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>For the <c>Http</c> provider: how long one request may take before it is reported as a timeout.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The address replies come back to: <see cref="From"/>, else <see cref="MessagingServiceSid"/>, else the sender's name.
    /// </summary>
    internal string AddressOr(string senderName) => From ?? MessagingServiceSid ?? senderName;
}
