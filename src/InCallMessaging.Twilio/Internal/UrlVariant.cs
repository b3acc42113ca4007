using System.Text;

namespace InCallMessaging.Twilio.Internal;

/// <summary>
/// The URL as signed: <c>head + insert + url[tailStart..]</c>. The given URL is <c>(url, url.Length, "", url.Length)</c>;
/// the other form either drops the port or inserts the scheme's default one.
/// </summary>
internal readonly record struct UrlVariant(string Url, int HeadLength, string Insert, int TailStart)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public int ByteCount =>
        Utf8.GetByteCount(Url.AsSpan(0, HeadLength)) + Insert.Length + Utf8.GetByteCount(Url.AsSpan(TailStart));

    public int Write(Span<byte> destination)
    {
        var written = Utf8.GetBytes(Url.AsSpan(0, HeadLength), destination);
        written += Utf8.GetBytes(Insert, destination[written..]);
        written += Utf8.GetBytes(Url.AsSpan(TailStart), destination[written..]);
        return written;
    }

    /// <summary>The URL without its port when it has one, else with the scheme's default port (https 443, http 80).</summary>
    public static bool TryOther(string url, out UrlVariant variant)
    {
        variant = default;
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return false;
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.AsSpan(authorityStart).IndexOfAny('/', '?', '#');
        authorityEnd = authorityEnd < 0 ? url.Length : authorityStart + authorityEnd;
        var authority = url.AsSpan(authorityStart, authorityEnd - authorityStart);
        var hostStart = authority.LastIndexOf('@') + 1;
        var host = authority[hostStart..];
        var colon = host.LastIndexOf(':');
        if (colon >= 0 && host.LastIndexOf(']') > colon)
        {
            colon = -1; // the colons of an IPv6 literal, not a port
        }

        if (colon >= 0)
        {
            var portStart = authorityStart + hostStart + colon;
            variant = new UrlVariant(url, portStart, "", authorityEnd);
            return true;
        }

        var scheme = url.AsSpan(0, schemeEnd);
        var defaultPort =
            scheme.Equals("https", StringComparison.OrdinalIgnoreCase) || scheme.Equals("wss", StringComparison.OrdinalIgnoreCase) ? ":443"
            : scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || scheme.Equals("ws", StringComparison.OrdinalIgnoreCase) ? ":80"
            : null;
        if (defaultPort is null)
        {
            return false;
        }

        variant = new UrlVariant(url, authorityEnd, defaultPort, authorityEnd);
        return true;
    }
}
