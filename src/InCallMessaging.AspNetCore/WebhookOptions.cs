namespace InCallMessaging.AspNetCore;

/// <summary>
/// Settings of the webhook endpoints mapped by <c>MapInCallMessagingWebhooks</c>. Bound from the
/// <c>InCallMessaging:Webhooks</c> section by <c>AddInCallMessagingWebhooks(IConfiguration)</c>.
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>The configuration section this binds from by default.</summary>
    public const string SectionName = "InCallMessaging:Webhooks";

    /// <summary>The default header that carries the custom provider's HMAC signature.</summary>
    public const string DefaultCustomProviderSignatureHeader = "X-InCallMessaging-Signature";

    /// <summary>
    /// The public base URL Twilio calls (for example <c>https://abc.ngrok.app</c> or <c>https://bot.example.com/voice</c>)
    /// when the app sits behind a TLS-terminating proxy or a tunnel. The URL a signature is checked against is then this
    /// base followed by the request's path and query string. Overrides the Twilio options' <c>PublicBaseUrl</c>.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the Twilio options' <c>PublicBaseUrl</c> is used when set, otherwise
    /// the URL is rebuilt from the request itself (scheme, host, port, path, query).
    /// </value>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The largest request body accepted (1 KB to 16 MB); larger requests are answered 413 before anything is parsed.</summary>
    /// <value>The default value is 65,536 bytes (64 KB).</value>
    public long MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long an endpoint waits for the reply hub before it answers the provider anyway; the delivery then finishes in
    /// the background. Twilio gives up after 15 seconds and sends the message again, so keep this well below that.
    /// Delivery is in-memory and takes microseconds; only slow after-call handlers come near this.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan MaxDeliveryWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The shared secret that authenticates the custom provider endpoint (<c>POST {prefix}/custom/messages</c>). When it
    /// is not set the endpoint refuses every request.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (custom provider endpoint disabled).</value>
    public string? CustomProviderSecret { get; set; }

    /// <summary>
    /// The request header that carries the custom provider's signature: the lowercase hex HMAC-SHA256 of the raw request
    /// body keyed with <see cref="CustomProviderSecret"/> (UTF-8), optionally prefixed with <c>sha256=</c>.
    /// </summary>
    /// <value>The default value is <c>X-InCallMessaging-Signature</c>.</value>
    public string CustomProviderSignatureHeader { get; set; } = DefaultCustomProviderSignatureHeader;
}
