namespace InCallMessaging.AspNetCore.Security;

/// <summary>The port variants of a URL Twilio may have signed: as called, without the port, and with the default port.</summary>
internal static class TwilioUrlVariants
{
    /// <summary>
    /// Returns <paramref name="url"/> and, when its port is absent or the scheme's default, the other spelling
    /// (<c>https://h/p</c> and <c>https://h:443/p</c>). A non-default port has no variant. The rest of the URL is kept
    /// byte for byte: Twilio signs the URL exactly as configured.
    /// </summary>
    public static IReadOnlyList<string> PortVariants(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return [url];
        }

        var scheme = url[..schemeEnd];
        var defaultPort = scheme.ToUpperInvariant() switch
        {
            "HTTPS" or "WSS" => "443",
            "HTTP" or "WS" => "80",
            _ => null,
        };
        if (defaultPort is null)
        {
            return [url];
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        var authority = url[authorityStart..authorityEnd];
        var hostStart = authority.LastIndexOf('@') + 1;
        var bracket = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        var hasPort = colon >= hostStart && colon > bracket;
        string other;
        if (!hasPort)
        {
            other = authority + ":" + defaultPort;
        }
        else if (authority[(colon + 1)..] == defaultPort)
        {
            other = authority[..colon];
        }
        else
        {
            return [url];
        }

        return [url, string.Concat(url.AsSpan(0, authorityStart), other, url.AsSpan(authorityEnd))];
    }
}
