using System.Globalization;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// What <see cref="IReplyMediaFetcher"/> downloads of a reply's attachments: how big, which content types, how long it
/// may take. Bound from <c>InCallMessaging:Media</c>. Attachments come from the caller: these bounds keep one text
/// from filling the host's memory or handing a model something it should not read.
/// </summary>
public sealed class ReplyMediaOptions
{
    /// <summary>The most bytes <see cref="MaxBytes"/> may be set to (fetched media is held in memory).</summary>
    public const long MaxMaxBytes = 100L * 1024 * 1024;

    /// <summary>The content types fetched when no <see cref="AllowedContentTypes"/> are configured.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedContentTypes =
        ["image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"];

    /// <summary>The largest attachment fetched; a larger one fails without being read past this many bytes.</summary>
    /// <value>The default value is 5 MB (5,242,880 bytes).</value>
    public long MaxBytes { get; set; } = 5L * 1024 * 1024;

    /// <summary>
    /// The content types fetched (<c>image/jpeg</c>) or whole families (<c>image/*</c>). Both the type the provider
    /// declared and the type the media server answers with must be allowed. <see langword="null"/> allows
    /// <see cref="DefaultAllowedContentTypes"/>.
    /// </summary>
    public List<string>? AllowedContentTypes { get; set; }

    /// <summary>How long one fetch may take, redirects included.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether <paramref name="contentType"/> (a sanitized <c>type/subtype</c>) may be fetched.</summary>
    internal bool Allows(string contentType)
    {
        var allowed = (IReadOnlyList<string>?)AllowedContentTypes ?? DefaultAllowedContentTypes;
        var slash = contentType.IndexOf('/', StringComparison.Ordinal);
        for (var i = 0; i < allowed.Count; i++)
        {
            var entry = allowed[i].Trim();
            if (string.Equals(entry, contentType, StringComparison.OrdinalIgnoreCase)
                || (slash > 0 && entry.EndsWith("/*", StringComparison.Ordinal) && entry.Length == slash + 2
                    && contentType.AsSpan(0, slash).Equals(entry.AsSpan(0, slash), StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The problems of these options, each naming the field and the fix.</summary>
    internal IEnumerable<string> Validate()
    {
        if (MaxBytes is < 1 or > MaxMaxBytes)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"Media.MaxBytes is {MaxBytes}: set it between 1 and {MaxMaxBytes} (100 MB; default 5242880, 5 MB).");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            yield return $"Media.Timeout is {Timeout}: set it between 00:00:00.001 and 00:05:00 (default 00:00:30).";
        }

        foreach (var entry in AllowedContentTypes ?? [])
        {
            var trimmed = entry?.Trim() ?? "";
            var lower = trimmed.ToLowerInvariant();
            var valid = lower.EndsWith("/*", StringComparison.Ordinal)
                ? ReplyMedia.IsCleanContentType(lower[..^1] + "x")
                : ReplyMedia.IsCleanContentType(lower);
            if (!valid)
            {
                yield return $"Media.AllowedContentTypes: '{trimmed}' is not a content type; write 'type/subtype' (image/jpeg) or 'type/*' (image/*).";
            }
        }
    }
}
