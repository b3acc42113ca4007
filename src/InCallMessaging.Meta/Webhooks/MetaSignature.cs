using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.Meta;

/// <summary>
/// Checks Meta's <c>X-Hub-Signature-256</c> header: <c>sha256=</c> and the hex HMAC-SHA256 of the raw request body,
/// keyed with the app secret. The raw bytes are hashed (never a re-serialized body) and compared in constant time.
/// </summary>
public static class MetaSignature
{
    /// <summary>The header Meta signs its webhook requests with.</summary>
    public const string HeaderName = "X-Hub-Signature-256";

    private const string Prefix = "sha256=";
    private const int HashBytes = 32;

    /// <summary>Whether <paramref name="header"/> is the signature of <paramref name="body"/> under <paramref name="appSecret"/>.</summary>
    /// <param name="body">The raw request body, exactly as received.</param>
    /// <param name="header">The value of the <c>X-Hub-Signature-256</c> header.</param>
    /// <param name="appSecret">The Meta app's secret.</param>
    /// <returns><see langword="true"/> only for a well-formed header whose hash matches; never for an empty secret.</returns>
    public static bool IsValid(ReadOnlySpan<byte> body, string? header, string appSecret)
    {
        ArgumentNullException.ThrowIfNull(appSecret);
        if (appSecret.Length == 0 || header is null || header.Length != Prefix.Length + (2 * HashBytes)
            || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> claimed = stackalloc byte[HashBytes];
        if (Convert.FromHexString(header.AsSpan(Prefix.Length), claimed, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != HashBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    /// <summary>The header value for <paramref name="body"/> signed with <paramref name="appSecret"/>, as Meta sends it (for tests and stand-ins).</summary>
    /// <param name="body">The raw body.</param>
    /// <param name="appSecret">The Meta app's secret.</param>
    /// <returns><c>sha256=</c> followed by the lowercase hex HMAC-SHA256.</returns>
    public static string Sign(ReadOnlySpan<byte> body, string appSecret)
    {
        ArgumentNullException.ThrowIfNull(appSecret);
        Span<byte> hash = stackalloc byte[HashBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body, hash);
        return Prefix + Convert.ToHexStringLower(hash);
    }
}
