namespace InCallMessaging.Twilio;

/// <summary>
/// Twilio account, credentials and HTTP behaviour for the Twilio message provider. Bound from <see cref="SectionName"/>.
/// </summary>
/// <remarks>
/// Authenticate with <see cref="AuthToken"/>, or with an API key (<see cref="ApiKeySid"/> and <see cref="ApiKeySecret"/>);
/// the API key wins when both are set. Webhooks are always signed with the Auth Token: what their signature check reads
/// is <see cref="TwilioSignatureOptions"/>, which takes <see cref="AuthToken"/> and <see cref="PublicBaseUrl"/> from
/// here unless it sets its own.
/// </remarks>
public sealed class TwilioOptions
{
    /// <summary>The configuration section this binds from by default.</summary>
    public const string SectionName = "InCallMessaging:Twilio";

    /// <summary>The Twilio Account SID: <c>AC</c> followed by 32 hex digits.</summary>
    public string? AccountSid { get; set; }

    /// <summary>
    /// The account's Auth Token: used for Basic auth when no API key is set, and, unless
    /// <see cref="TwilioSignatureOptions.AuthToken"/> is set, to check webhook signatures.
    /// </summary>
    public string? AuthToken { get; set; }

    /// <summary>An API key SID (<c>SK</c> followed by 32 hex digits) to authenticate with instead of the Auth Token.</summary>
    public string? ApiKeySid { get; set; }

    /// <summary>The secret of <see cref="ApiKeySid"/>.</summary>
    public string? ApiKeySecret { get; set; }

    /// <summary>The base URL of Twilio's REST API; point it at a local stand-in for tests.</summary>
    /// <value>The default value is <c>https://api.twilio.com</c>.</value>
    public Uri ApiBaseUrl { get; set; } = new("https://api.twilio.com");

    /// <summary>
    /// The public base URL of this host as Twilio reaches it (for example <c>https://bot.example.com</c>). When set, every
    /// message asks Twilio for delivery status callbacks at <see cref="PublicBaseUrl"/> + <see cref="StatusCallbackPath"/>,
    /// and, unless <see cref="TwilioSignatureOptions.PublicBaseUrl"/> is set, signatures are checked against it.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The path, under <see cref="PublicBaseUrl"/>, of the endpoint that receives delivery status callbacks.</summary>
    /// <value>The default value is <c>/twilio/status</c>.</value>
    public string StatusCallbackPath { get; set; } = "/twilio/status";

    /// <summary>How long one send may take, retries included, before it is reported as a timeout.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many times a send is retried when Twilio certainly did not process it (HTTP 429, HTTP 503, no connection).
    /// </summary>
    /// <value>The default value is 2.</value>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The median delay before the first retry; later retries back off exponentially, with jitter.</summary>
    internal TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between retries; a longer <c>Retry-After</c> ends the retries.</summary>
    internal TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Tests only: the origin (scheme, host, port) of a local stand-in whose media URLs count as Twilio's, in place of
    /// Twilio's own hosts. Not bindable: production only ever sends credentials to <c>https://*.twilio.com</c>.
    /// </summary>
    internal Uri? MediaStandInBaseUrl { get; set; }

    /// <summary>Whether the API key, rather than the Auth Token, authenticates REST calls.</summary>
    internal bool UsesApiKey => !string.IsNullOrEmpty(ApiKeySid) && !string.IsNullOrEmpty(ApiKeySecret);

    /// <summary>The absolute status callback URL, or <see langword="null"/> when <see cref="PublicBaseUrl"/> is not set.</summary>
    internal string? GetStatusCallbackUrl()
    {
        if (PublicBaseUrl is null)
        {
            return null;
        }

        var baseUrl = PublicBaseUrl.AbsoluteUri.TrimEnd('/');
        var path = (StatusCallbackPath ?? "").TrimStart('/');
        return path.Length == 0 ? baseUrl : baseUrl + "/" + path;
    }

    /// <summary>The Messages resource URL of the account.</summary>
    internal Uri GetMessagesUrl() =>
        new($"{ApiBaseUrl.AbsoluteUri.TrimEnd('/')}/2010-04-01/Accounts/{Uri.EscapeDataString(AccountSid ?? "")}/Messages.json");
}
