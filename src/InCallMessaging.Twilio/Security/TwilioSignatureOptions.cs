namespace InCallMessaging.Twilio;

/// <summary>
/// What checking Twilio's <c>X-Twilio-Signature</c> needs: the Auth Token that signs the webhooks and the public URL
/// Twilio calls. Separate from <see cref="TwilioOptions"/> (sending), so a host that only receives Twilio's webhooks
/// or guards its voice webhook needs no REST credentials. Bound from <see cref="SectionName"/>, the section the
/// sending options use too.
/// </summary>
/// <remarks>
/// <c>AddInCallMessagingTwilio</c> fills <see cref="AuthToken"/> and <see cref="PublicBaseUrl"/> from
/// <see cref="TwilioOptions"/> when they are not set here, so one section configures both.
/// </remarks>
public sealed class TwilioSignatureOptions
{
    /// <summary>The configuration section this binds from by default (shared with <see cref="TwilioOptions"/>).</summary>
    public const string SectionName = TwilioOptions.SectionName;

    /// <summary>The account's Auth Token, which Twilio signs every webhook with.</summary>
    /// <value>The default value is <see langword="null"/>: the webhooks cannot be mapped and guarded endpoints answer 500.</value>
    public string? AuthToken { get; set; }

    /// <summary>
    /// The public base URL Twilio calls (for example <c>https://bot.example.com</c>) when the app sits behind a
    /// TLS-terminating proxy or a tunnel: the signed URL is this base followed by the request's path and query.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the URL is rebuilt from the request itself.</value>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// Further public base URLs a signature may be made for, tried after <see cref="PublicBaseUrl"/> (or the request's
    /// own URL): for example the old tunnel while the number's webhook moves to a new host.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IList<Uri> AlternatePublicBaseUrls { get; } = [];
}
