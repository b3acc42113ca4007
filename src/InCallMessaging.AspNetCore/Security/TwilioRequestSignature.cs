using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.AspNetCore.Security;

/// <summary>
/// The X-Twilio-Signature algorithm: HMAC-SHA1 over the called URL followed by the form parameters sorted by name
/// (<c>name + value</c>, no separators, no encoding), keyed with the account's Auth Token, Base64-encoded.
/// </summary>
/// <remarks>
/// Kept in this project until the Twilio project's validator lands, so the endpoint filter has no dependency on it.
/// </remarks>
internal static class TwilioRequestSignature
{
    /// <summary>The header Twilio signs its requests with.</summary>
    public const string HeaderName = "X-Twilio-Signature";

    /// <summary>The query parameter a JSON-body request carries its body hash in.</summary>
    public const string BodyHashParameter = "bodySHA256";

    /// <summary>Computes the Base64 signature of a request to <paramref name="url"/> with <paramref name="parameters"/>.</summary>
    public static string Compute(string url, IEnumerable<KeyValuePair<string, string>> parameters, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(authToken);
        return Convert.ToBase64String(ComputeHash(url, parameters, authToken));
    }

    /// <summary>
    /// Checks <paramref name="signature"/> against <paramref name="url"/> as given and against its other port variant
    /// (without a port and with the scheme's default port: Twilio is inconsistent there). Compares in constant time.
    /// </summary>
    public static bool IsValid(string url, IEnumerable<KeyValuePair<string, string>> parameters, string? signature, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(parameters);
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(authToken))
        {
            return false;
        }

        var provided = DecodeBase64(signature);
        if (provided is null)
        {
            return false;
        }

        var pairs = parameters as IReadOnlyCollection<KeyValuePair<string, string>> ?? [.. parameters];
        var valid = false;
        foreach (var candidate in TwilioUrlVariants.PortVariants(url))
        {
            // Every variant is computed and compared so the timing does not reveal which one matched.
            valid |= CryptographicOperations.FixedTimeEquals(ComputeHash(candidate, pairs, authToken), provided);
        }

        return valid;
    }

    /// <summary>
    /// Checks a JSON-body request: the URL (with its <c>bodySHA256</c> query parameter) is signed with no parameters, and
    /// <c>bodySHA256</c> must be the lowercase hex SHA-256 of <paramref name="body"/>.
    /// </summary>
    public static bool IsValidJsonBody(string url, ReadOnlySpan<byte> body, string? bodySha256, string? signature, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (string.IsNullOrEmpty(bodySha256) || bodySha256.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        byte[] expectedHash;
        try
        {
            expectedHash = Convert.FromHexString(bodySha256);
        }
        catch (FormatException)
        {
            return false;
        }

        var bodyMatches = CryptographicOperations.FixedTimeEquals(SHA256.HashData(body), expectedHash);
        return IsValid(url, [], signature, authToken) & bodyMatches;
    }

    private static byte[] ComputeHash(string url, IEnumerable<KeyValuePair<string, string>> parameters, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var group in parameters
            .GroupBy(pair => pair.Key, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            foreach (var value in group.Select(pair => pair.Value).Order(StringComparer.Ordinal))
            {
                data.Append(group.Key).Append(value);
            }
        }

#pragma warning disable CA5350 // HMAC-SHA1 is what Twilio signs with; the choice is not ours.
        return HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
#pragma warning restore CA5350
    }

    private static byte[]? DecodeBase64(string signature)
    {
        var buffer = new byte[(signature.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(signature.Trim(), buffer, out var written) ? buffer[..written] : null;
    }
}
