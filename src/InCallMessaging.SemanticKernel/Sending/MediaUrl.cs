namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The rule for outbound media URLs: absolute <c>https://</c> with a host. Twilio fetches the file from the open
/// internet, and a plain <c>http://</c> link would carry the caller's documents unencrypted, so there is no exception,
/// not even for loopback (the messaging service could never reach it anyway).
/// </summary>
internal static class MediaUrl
{
    private const int MaxShown = 120;

    /// <summary>Parses <paramref name="text"/> as a media URL, or says it is not one.</summary>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri)
    {
        // The prefix check keeps out what Uri reads leniently, such as "https:file.pdf" as https://file.pdf/.
        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            && Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme == Uri.UriSchemeHttps && parsed.Host.Length > 0)
        {
            uri = parsed;
            return true;
        }

        uri = null;
        return false;
    }

    /// <summary>The rendered text as shown in a problem: at most <see cref="MaxShown"/> characters.</summary>
    public static string Shorten(string text) => text.Length <= MaxShown ? text : string.Concat(text.AsSpan(0, MaxShown), "…");
}
