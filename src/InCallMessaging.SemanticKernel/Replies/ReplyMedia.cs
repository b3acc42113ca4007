using System.Buffers;
using System.Text.Json;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The attachments of a caller's reply, made safe to keep and to show the model. URLs and content types come from
/// outside (a webhook, a custom provider), so a URL must be absolute http(s) without user info, and a content type is
/// kept only as a plain <c>type/subtype</c> of token characters, else it reads <c>application/octet-stream</c>.
/// </summary>
internal static class ReplyMedia
{
    /// <summary>The content type of an attachment whose declared type is missing or not a plain <c>type/subtype</c>.</summary>
    public const string UnknownContentType = "application/octet-stream";

    /// <summary>The most attachments kept of one reply (Twilio's own limit on a message).</summary>
    public const int MaxPerReply = 10;

    /// <summary>The longest content type kept; RFC 6838 allows 127 characters for each half.</summary>
    private const int MaxContentTypeLength = 255;

    /// <summary>
    /// The attachments as the call keeps them: <paramref name="media"/> itself (no copy) when every item is already
    /// clean; otherwise a copy with content types sanitized and the items with an unsafe URL, or past
    /// <see cref="MaxPerReply"/>, left out (<paramref name="dropped"/> counts them).
    /// </summary>
    public static IReadOnlyList<InboundMedia> Sanitize(IReadOnlyList<InboundMedia> media, out int dropped)
    {
        dropped = 0;
        if (IsClean(media))
        {
            return media;
        }

        var kept = new List<InboundMedia>(Math.Min(media.Count, MaxPerReply));
        for (var i = 0; i < media.Count; i++)
        {
            var item = media[i];
            if (item is null || !IsSafeUrl(item.Url) || kept.Count == MaxPerReply)
            {
                dropped++;
                continue;
            }

            var contentType = SanitizeContentType(item.ContentType);
            kept.Add(ReferenceEquals(contentType, item.ContentType) ? item : item with { ContentType = contentType });
        }

        return kept.Count == 0 ? [] : kept;
    }

    /// <summary>Whether <paramref name="url"/> may be kept: absolute, <c>http</c> or <c>https</c>, and without user info.</summary>
    public static bool IsSafeUrl(Uri? url) =>
        url is { IsAbsoluteUri: true }
        && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
        && url.UserInfo.Length == 0
        && url.Host.Length > 0;

    /// <summary>
    /// <paramref name="contentType"/> as a lowercase <c>type/subtype</c> (parameters such as <c>; charset=...</c> removed),
    /// or <see cref="UnknownContentType"/> when it is not one. Returns the same string when it is already clean.
    /// </summary>
    public static string SanitizeContentType(string? contentType)
    {
        if (contentType is null)
        {
            return UnknownContentType;
        }

        if (IsCleanContentType(contentType))
        {
            return contentType;
        }

        var span = contentType.AsSpan();
        var parameters = span.IndexOf(';');
        if (parameters >= 0)
        {
            span = span[..parameters];
        }

        span = span.Trim();
        if (span.Length > MaxContentTypeLength)
        {
            return UnknownContentType;
        }

        Span<char> lower = stackalloc char[span.Length];
        span.ToLowerInvariant(lower);
        return IsCleanContentType(lower) ? new string(lower) : UnknownContentType;
    }

    /// <summary>Whether <paramref name="contentType"/> is a lowercase <c>type/subtype</c> of RFC 6838 name characters.</summary>
    public static bool IsCleanContentType(ReadOnlySpan<char> contentType)
    {
        if (contentType.Length is 0 or > MaxContentTypeLength)
        {
            return false;
        }

        var slash = contentType.IndexOf('/');
        if (slash <= 0 || slash == contentType.Length - 1)
        {
            return false;
        }

        return IsName(contentType[..slash]) && IsName(contentType[(slash + 1)..]);
    }

    /// <summary>The attachments as JSON: <c>[{"url":"...","content_type":"..."}]</c>.</summary>
    public static string ToJson(IReadOnlyList<InboundMedia> media)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (media.Count * 128));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteArray(writer, media);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the attachments as a JSON array value.</summary>
    public static void WriteArray(Utf8JsonWriter writer, IReadOnlyList<InboundMedia> media)
    {
        writer.WriteStartArray();
        for (var i = 0; i < media.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("url"u8, media[i].Url.AbsoluteUri);
            writer.WriteString("content_type"u8, media[i].ContentType);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// The URL as the transcript shows it: square brackets after the host are percent-encoded, so an untrusted URL can
    /// neither close the attachment's brackets nor open a label that reads as a transcript marker.
    /// </summary>
    public static string TranscriptUrl(Uri url)
    {
        var text = url.AbsoluteUri;
        var authority = url.GetLeftPart(UriPartial.Authority).Length;
        if (text.AsSpan(authority).IndexOfAny('[', ']') < 0)
        {
            return text;
        }

        return string.Concat(text.AsSpan(0, authority), text[authority..].Replace("[", "%5B", StringComparison.Ordinal).Replace("]", "%5D", StringComparison.Ordinal));
    }

    private static bool IsClean(IReadOnlyList<InboundMedia> media)
    {
        if (media.Count > MaxPerReply)
        {
            return false;
        }

        for (var i = 0; i < media.Count; i++)
        {
            if (media[i] is not { } item || !IsSafeUrl(item.Url) || !IsCleanContentType(item.ContentType))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An RFC 6838 type or subtype name: starts with a letter or digit, then letters, digits and <c>!#$&amp;-^_.+</c>.</summary>
    private static bool IsName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 127 || !char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c is not ('!' or '#' or '$' or '&' or '-' or '^' or '_' or '.' or '+'))
            {
                return false;
            }
        }

        return true;
    }
}
