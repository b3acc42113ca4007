using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace InCallMessaging.AspNetCore.Internal;

/// <summary>
/// The one place that decides which URL Twilio signed: rebuilt from the request, or from the public base URL the
/// settings give, in each spelling Twilio may have used. <see cref="TwilioSignature"/> then tries each with and
/// without its port.
/// </summary>
internal static class TwilioSignedUrl
{
    /// <summary>
    /// The URLs a request's signature may cover, in the order they are tried: from
    /// <see cref="WebhookOptions.PublicBaseUrl"/>, else <see cref="TwilioSignatureOptions.PublicBaseUrl"/>, else the
    /// request itself; then from each of <see cref="TwilioSignatureOptions.AlternatePublicBaseUrls"/>.
    /// </summary>
    public static IReadOnlyList<string> Candidates(HttpRequest request, TwilioSignatureOptions signature, WebhookOptions webhooks)
    {
        var urls = Build(request, webhooks.PublicBaseUrl ?? signature.PublicBaseUrl);
        var alternates = signature.AlternatePublicBaseUrls;
        if (alternates.Count == 0)
        {
            return urls;
        }

        var all = new List<string>(urls);
        foreach (var alternate in alternates)
        {
            foreach (var url in Build(request, alternate))
            {
                if (!all.Contains(url))
                {
                    all.Add(url);
                }
            }
        }

        return all;
    }

    /// <summary>
    /// With <paramref name="publicBaseUrl"/>: that base followed by the request's path and query (a proxy or tunnel in
    /// front of the app). Without: the request's own scheme, host, port, path and query. Path and query are taken as sent
    /// on the wire when the server exposes them, so escaping is not altered.
    /// </summary>
    /// <returns>
    /// One URL, or two when the configured base is spelled differently from its normalized form (host case, default
    /// port): the URL Twilio signs is either the one typed into its console or one built from the normalized base.
    /// A WebSocket upgrade (ConversationRelay, Media Streams) has the <c>ws</c>/<c>wss</c> spellings first, since
    /// Twilio signs the <c>wss://</c> URL it was given, then the <c>http</c>/<c>https</c> ones.
    /// </returns>
    public static IReadOnlyList<string> Build(HttpRequest request, Uri? publicBaseUrl)
    {
        var pathAndQuery = PathAndQuery(request);
        if (IsWebSocketUpgrade(request))
        {
            string[] httpUrls = publicBaseUrl is null
                ? [string.Concat(request.Scheme, "://", request.Host.Value, pathAndQuery)]
                : BaseUrls(publicBaseUrl, pathAndQuery);
            return [.. httpUrls.Select(WebSocketSpelling), .. httpUrls];
        }

        if (publicBaseUrl is null)
        {
            // Every webhook of a host is posted to the same few URLs: the one built last on this thread is reused.
            var scheme = request.Scheme;
            var host = request.Host.Value ?? "";
            if (t_last is { } last && last.Matches(scheme, host, pathAndQuery))
            {
                return last.Urls;
            }

            var built = new LastUrl(scheme, host, pathAndQuery, [string.Concat(scheme, "://", host, pathAndQuery)]);
            t_last = built;
            return built.Urls;
        }

        return BaseUrls(publicBaseUrl, pathAndQuery);
    }

    /// <summary>
    /// Whether the request asks to become a WebSocket (HTTP/1.1 GET with <c>Upgrade: websocket</c>, or HTTP/2's extended
    /// CONNECT). The method is looked at first: webhooks are POSTs, and this runs on every one of them.
    /// </summary>
    public static bool IsWebSocketUpgrade(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsConnect(request.Method))
        && (request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase)
            || request.HttpContext.WebSockets.IsWebSocketRequest);

    private static string[] BaseUrls(Uri publicBaseUrl, string pathAndQuery)
    {
        var asTyped = publicBaseUrl.OriginalString.Trim().TrimEnd('/') + pathAndQuery;
        if (!publicBaseUrl.IsAbsoluteUri)
        {
            return [asTyped];
        }

        var normalized = publicBaseUrl.AbsoluteUri.TrimEnd('/') + pathAndQuery;
        return string.Equals(asTyped, normalized, StringComparison.Ordinal) ? [asTyped] : [asTyped, normalized];
    }

    /// <summary><c>https://...</c> as <c>wss://...</c> and <c>http://...</c> as <c>ws://...</c>; any other URL as it is.</summary>
    private static string WebSocketSpelling(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss" + url[5..]
        : url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws" + url[4..]
        : url;

    [ThreadStatic]
    private static LastUrl? t_last;

    private static string PathAndQuery(HttpRequest request)
    {
        var rawTarget = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(rawTarget) && rawTarget[0] == '/')
        {
            return rawTarget;
        }

        return request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
    }

    /// <summary>The URL built last on a thread (no public base URL) and what it was built from.</summary>
    private sealed record LastUrl(string Scheme, string Host, string PathAndQuery, string[] Urls)
    {
        public bool Matches(string scheme, string host, string pathAndQuery) =>
            string.Equals(Scheme, scheme, StringComparison.Ordinal)
            && string.Equals(Host, host, StringComparison.Ordinal)
            && string.Equals(PathAndQuery, pathAndQuery, StringComparison.Ordinal);
    }
}
