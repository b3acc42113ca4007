using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.AspNetCore.Custom;

/// <summary>
/// The custom provider's request signature: HMAC-SHA256 of the raw request body keyed with the UTF-8 bytes of the shared
/// secret, written as hex (lowercase by convention), optionally prefixed with <c>sha256=</c>.
/// </summary>
internal static class CustomProviderSignature
{
    private const string Prefix = "sha256=";

    /// <summary>Computes the header value (lowercase hex, no prefix) for <paramref name="body"/>.</summary>
    public static string Compute(ReadOnlySpan<byte> body, string secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Checks a header value against <paramref name="body"/>, in constant time.</summary>
    public static bool IsValid(ReadOnlySpan<byte> body, string? header, string secret)
    {
        if (string.IsNullOrWhiteSpace(header) || string.IsNullOrEmpty(secret))
        {
            return false;
        }

        var hex = header.Trim();
        if (hex.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[Prefix.Length..];
        }

        if (hex.Length != HMACSHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        byte[] provided;
        try
        {
            provided = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body), provided);
    }
}
