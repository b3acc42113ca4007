using System.Globalization;
using System.Text.Json;

namespace InCallMessaging.Meta;

/// <summary>
/// Meta's answer to <c>GET /{version}/{media-id}</c>: <c>{"url","mime_type","sha256","file_size","id","messaging_product"}</c>.
/// The <c>url</c> is where the bytes are (valid about 5 minutes, with the same access token).
/// </summary>
/// <param name="DownloadUrl">Where the bytes are.</param>
/// <param name="MimeType">The content type Meta declares, if any.</param>
/// <param name="Sha256">The SHA-256 of the bytes Meta declares, if it gave one in a form read here (hex or base64).</param>
/// <param name="FileSize">The size Meta declares, if any.</param>
internal sealed record MetaMediaObject(Uri DownloadUrl, string? MimeType, byte[]? Sha256, long? FileSize)
{
    /// <summary>Reads <paramref name="json"/>; false with <paramref name="problem"/> when it has no absolute <c>url</c>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out MetaMediaObject? media, out string? problem)
    {
        media = null;
        problem = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "it is not a JSON object";
                return false;
            }

            if (Text(root, "url") is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var downloadUrl))
            {
                problem = "it has no absolute 'url'";
                return false;
            }

            media = new MetaMediaObject(downloadUrl, Text(root, "mime_type"), Hash(Text(root, "sha256")), Size(root));
            return true;
        }
        catch (JsonException)
        {
            problem = "it is not valid JSON";
            return false;
        }
    }

    /// <summary>The <c>error.code</c> and <c>error.error_subcode</c> of a Graph error body, when it is one.</summary>
    public static (int? Code, int? Subcode) ReadError(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                ? (Number(error, "code"), Number(error, "error_subcode"))
                : (null, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>A SHA-256 written as 64 hex digits or as base64 (as the webhook writes it); null when it is neither.</summary>
    private static byte[]? Hash(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        if (text.Length == 64 && text.All(char.IsAsciiHexDigit))
        {
            return Convert.FromHexString(text);
        }

        var bytes = new byte[48];
        return Convert.TryFromBase64String(text, bytes, out var written) && written == 32 ? bytes[..32] : null;
    }

    /// <summary><c>file_size</c>: a number, or a string of digits as some versions write it.</summary>
    private static long? Size(JsonElement root) =>
        !root.TryGetProperty("file_size", out var size) ? null
        : size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var n) && n >= 0 ? n
        : size.ValueKind == JsonValueKind.String && long.TryParse(size.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
        : null;

    private static int? Number(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    private static string? Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
