using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace InCallMessaging.Meta;

/// <summary>
/// Which URLs are Meta's: a media object's Graph URL (<c>{ApiBaseUrl}/{version}/{media-id}</c>, as the webhook records
/// an attachment), and the hosts the access token may be sent to. The token goes to the configured Graph host and to
/// Meta's media host (<c>https://lookaside.fbsbx.com</c>) only, never to any other host or redirect target.
/// </summary>
internal static partial class MetaMediaUrls
{
    /// <summary>The host of the download URLs Meta answers a media object with.</summary>
    public const string MediaHost = "lookaside.fbsbx.com";

    /// <summary>The media id of <paramref name="url"/> when it is a media object's Graph URL on the configured Graph host.</summary>
    public static bool TryGetMediaId(Uri url, MetaWhatsAppOptions options, out string mediaId)
    {
        mediaId = "";
        if (!url.IsAbsoluteUri || url.UserInfo.Length != 0 || url.Query.Length != 0 || url.Fragment.Length != 0 || !IsGraphHost(url, options))
        {
            return false;
        }

        var basePath = options.ApiBaseUrl.AbsolutePath.TrimEnd('/');
        var path = url.AbsolutePath;
        if (!path.StartsWith(basePath, StringComparison.Ordinal))
        {
            return false;
        }

        var match = MediaPath().Match(path[basePath.Length..]);
        mediaId = match.Success ? match.Groups["id"].Value : "";
        return match.Success;
    }

    /// <summary>Whether a download URL Meta answered with may be fetched: https, or http when the Graph API itself is a plain-http stand-in.</summary>
    public static bool IsAllowedDownloadUrl(Uri url, MetaWhatsAppOptions options) =>
        url.IsAbsoluteUri
        && url.UserInfo.Length == 0
        && url.Host.Length > 0
        && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && options.ApiBaseUrl.Scheme == Uri.UriSchemeHttp));

    /// <summary>The <c>Authorization: Bearer</c> header for <paramref name="url"/>, or <see langword="null"/> when it is not one of Meta's hosts.</summary>
    public static AuthenticationHeaderValue? Credentials(Uri url, MetaWhatsAppOptions options) =>
        url.IsAbsoluteUri && url.UserInfo.Length == 0 && (IsGraphHost(url, options) || IsMediaHost(url)) && !string.IsNullOrEmpty(options.AccessToken)
            ? new AuthenticationHeaderValue("Bearer", options.AccessToken)
            : null;

    /// <summary>Same scheme, host and port as <see cref="MetaWhatsAppOptions.ApiBaseUrl"/> (the real Graph API or its stand-in).</summary>
    private static bool IsGraphHost(Uri url, MetaWhatsAppOptions options) =>
        options.ApiBaseUrl is { IsAbsoluteUri: true } graph
        && Uri.Compare(url, graph, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static bool IsMediaHost(Uri url) =>
        url.Scheme == Uri.UriSchemeHttps
        && url.IsDefaultPort
        && url.HostNameType == UriHostNameType.Dns
        && string.Equals(url.IdnHost, MediaHost, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^/v[0-9]{1,3}\\.[0-9]{1,3}/(?<id>[0-9]{1,30})$", RegexOptions.CultureInvariant)]
    private static partial Regex MediaPath();
}
