using System.Net.Http.Headers;

namespace InCallMessaging.Twilio;

/// <summary>
/// Which reply-media URLs get the account's credentials: Twilio's own hosts (<c>api.twilio.com</c>, <c>*.twilio.com</c>)
/// over https on the default port, nothing else. Twilio answers a media URL with a redirect to its CDN; that hop, not
/// being Twilio's host, goes without them.
/// </summary>
internal static class TwilioMediaCredentials
{
    private const string TwilioDomain = ".twilio.com";

    /// <summary>The <c>Authorization: Basic</c> header for <paramref name="url"/>, or <see langword="null"/> when it is not Twilio's or no credentials are configured.</summary>
    public static AuthenticationHeaderValue? For(Uri url, TwilioOptions options)
    {
        if (!IsTwilioMediaHost(url, options))
        {
            return null;
        }

        var complete = options.UsesApiKey || (!string.IsNullOrEmpty(options.AccountSid) && !string.IsNullOrEmpty(options.AuthToken));
        return complete ? TwilioMessageProvider.BasicAuthorization(options) : null;
    }

    /// <summary>Whether <paramref name="url"/> is on one of Twilio's hosts (or the test stand-in, <see cref="TwilioOptions.MediaStandInBaseUrl"/>).</summary>
    public static bool IsTwilioMediaHost(Uri url, TwilioOptions options)
    {
        if (!url.IsAbsoluteUri)
        {
            return false;
        }

        if (options.MediaStandInBaseUrl is { } standIn)
        {
            return Uri.Compare(url, standIn, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
        }

        return url.Scheme == Uri.UriSchemeHttps
            && url.IsDefaultPort
            && url.UserInfo.Length == 0
            && url.HostNameType == UriHostNameType.Dns
            && url.IdnHost.EndsWith(TwilioDomain, StringComparison.OrdinalIgnoreCase)
            && url.IdnHost.Length > TwilioDomain.Length;
    }
}
