namespace InCallMessaging.Meta;

/// <summary>
/// Credentials, Graph API version and HTTP behaviour of WhatsApp through Meta's Cloud API (senders with
/// <c>"Provider": "Meta"</c>), and the secrets its webhook checks. Bound from <see cref="SectionName"/>.
/// </summary>
/// <remarks>
/// A sender names the business phone number it sends from with <c>ServiceId</c> (the phone number ID shown in WhatsApp
/// Manager, digits only) and its display number with <c>From</c> (E.164), which replies are matched by.
/// </remarks>
public sealed class MetaWhatsAppOptions
{
    /// <summary>The configuration section this binds from by default.</summary>
    public const string SectionName = "InCallMessaging:Meta";

    /// <summary>The access token sent as <c>Authorization: Bearer</c> (a system user token with <c>whatsapp_business_messaging</c>).</summary>
    public string? AccessToken { get; set; }

    /// <summary>The app secret of the Meta app: the key of the webhook's <c>X-Hub-Signature-256</c> (HMAC-SHA256 of the raw body).</summary>
    public string? AppSecret { get; set; }

    /// <summary>The verify token entered in the app's webhook settings; the verification request (<c>hub.verify_token</c>) must match it.</summary>
    public string? VerifyToken { get; set; }

    /// <summary>The Graph API version every request is pinned to, such as <c>v24.0</c>.</summary>
    /// <value>The default value is <c>v24.0</c>.</value>
    public string GraphApiVersion { get; set; } = "v24.0";

    /// <summary>The base URL of the Graph API; point it at a local stand-in for tests.</summary>
    /// <value>The default value is <c>https://graph.facebook.com</c>.</value>
    public Uri ApiBaseUrl { get; set; } = new("https://graph.facebook.com");

    /// <summary>
    /// The language of an approved template whose <c>TemplateId</c> names none (<c>order_ready</c>; <c>order_ready:es_MX</c>
    /// names one), as Meta spells it: <c>en_US</c>, <c>pt_BR</c>, <c>de</c>.
    /// </summary>
    /// <value>The default value is <c>en_US</c>.</value>
    public string DefaultTemplateLanguage { get; set; } = "en_US";

    /// <summary>Whether WhatsApp shows a preview of the first link in a free-form text (<c>preview_url</c>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool PreviewUrl { get; set; } = true;

    /// <summary>How long one send may take, retries included, before it is reported as a timeout.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many times a send is retried when Meta certainly did not take it: its rate limits (errors 130429 and 131056)
    /// and a connection that was never made. Nothing else is retried: a send whose outcome is unknown could reach the
    /// caller twice.
    /// </summary>
    /// <value>The default value is 2.</value>
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// The delay before the first retry; retry <c>n</c> waits this times 4^(n-1) (Meta's advice), at least 6 seconds after
    /// the pair rate limit (131056: one message per 6 seconds to the same user). A retry that would not fit in
    /// <see cref="RequestTimeout"/> is not made.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest webhook body accepted; Meta sends at most 3 MB.</summary>
    /// <value>The default value is 4 MB.</value>
    public int MaxWebhookBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The wait after Meta's pair rate limit (131056); tests shorten it.</summary>
    internal TimeSpan PairRateLimitDelay { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>The <c>/{version}/{phone-number-id}/messages</c> URL of a sending number.</summary>
    internal Uri GetMessagesUrl(string phoneNumberId) =>
        new($"{ApiBaseUrl.AbsoluteUri.TrimEnd('/')}/{GraphApiVersion}/{Uri.EscapeDataString(phoneNumberId)}/messages");
}
