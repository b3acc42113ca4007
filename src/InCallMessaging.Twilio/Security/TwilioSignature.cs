using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.Twilio;

/// <summary>
/// Computes and checks Twilio's <c>X-Twilio-Signature</c>: the Base64 HMAC-SHA1, keyed with the account's Auth Token, of
/// the full request URL followed by every form parameter's name and value, sorted by name in UTF-16 ordinal order (a
/// repeated name's values sorted the same way, as Twilio's libraries sign them).
/// </summary>
/// <remarks>
/// Checks try the URL as given, without its port, and with the scheme's default port added, because Twilio signs either
/// form. Comparisons run in constant time. Buffers are pooled: this runs on every webhook request.
/// </remarks>
public static class TwilioSignature
{
    private const int Sha1Length = 20;
    private const int Base64Length = 28;
    private const int Sha256Length = 32;
    private const int StackKeyLimit = 256;
    private const string BodyHashParameter = "bodySHA256";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Computes the signature Twilio sends for a request to <paramref name="url"/> with these form parameters.</summary>
    /// <param name="url">The full URL Twilio requested, query string included.</param>
    /// <param name="formParameters">The POSTed form parameters (none for a GET or a JSON body); names may repeat.</param>
    /// <param name="authToken">The account's Auth Token.</param>
    /// <returns>The Base64 signature, as in the <c>X-Twilio-Signature</c> header.</returns>
    public static string Compute(string url, IEnumerable<KeyValuePair<string, string>> formParameters, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(formParameters);
        ArgumentException.ThrowIfNullOrEmpty(authToken);

        Span<byte> hash = stackalloc byte[Sha1Length];
        using var payload = new SignedPayload(url, formParameters);
        Span<byte> keyBuffer = stackalloc byte[StackKeyLimit];
        byte[]? rentedKey = null;
        var key = EncodeKey(authToken, keyBuffer, ref rentedKey);
        try
        {
            payload.Hash(key, new UrlVariant(url, url.Length, "", url.Length), hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (rentedKey is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedKey);
            }
        }

        return Convert.ToBase64String(hash);
    }

    /// <summary>Checks an <c>X-Twilio-Signature</c> header of a form POST (or of a GET, with no parameters).</summary>
    /// <param name="url">The full URL Twilio requested, query string included, as Twilio saw it (the public URL behind a proxy).</param>
    /// <param name="formParameters">The POSTed form parameters; names may repeat.</param>
    /// <param name="signature">The <c>X-Twilio-Signature</c> header value.</param>
    /// <param name="authToken">The account's Auth Token.</param>
    /// <returns><see langword="true"/> when the signature matches one of the URL's forms.</returns>
    public static bool IsValid(string url, IEnumerable<KeyValuePair<string, string>> formParameters, string signature, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(formParameters);
        ArgumentException.ThrowIfNullOrEmpty(authToken);

        if (!LooksLikeSignature(signature))
        {
            return false;
        }

        using var payload = new SignedPayload(url, formParameters);
        return Matches(payload, url, signature, authToken);
    }

    /// <summary>
    /// Checks an <c>X-Twilio-Signature</c> header of a form POST from its raw body, as received
    /// (<c>application/x-www-form-urlencoded</c>): the body is decoded once, without building a form collection.
    /// </summary>
    /// <param name="url">The full URL Twilio requested, query string included, as Twilio saw it (the public URL behind a proxy).</param>
    /// <param name="formBody">The request body exactly as received.</param>
    /// <param name="signature">The <c>X-Twilio-Signature</c> header value.</param>
    /// <param name="authToken">The account's Auth Token.</param>
    /// <returns><see langword="true"/> when the signature matches one of the URL's forms; <see langword="false"/> also when the body is not a valid form.</returns>
    public static bool IsValidFormBody(string url, ReadOnlySpan<byte> formBody, string signature, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(authToken);
        return FormBody.TryParse(formBody, out var form, out _) && IsValid(url, form, signature, authToken);
    }

    /// <summary>Checks a signature over a form body that is already decoded.</summary>
    internal static bool IsValid(string url, FormBody form, string signature, string authToken)
    {
        if (!LooksLikeSignature(signature))
        {
            return false;
        }

        using var payload = new SignedPayload(url, form);
        return Matches(payload, url, signature, authToken);
    }

    /// <summary>
    /// Checks a request with a JSON (or other raw) body: Twilio signs the URL, which carries
    /// <c>bodySHA256=&lt;hex SHA-256 of the body&gt;</c>, and the body must hash to that value.
    /// </summary>
    /// <param name="urlWithBodySha256Query">The full URL Twilio requested, including its <c>bodySHA256</c> query parameter.</param>
    /// <param name="rawBody">The request body exactly as received.</param>
    /// <param name="signature">The <c>X-Twilio-Signature</c> header value.</param>
    /// <param name="authToken">The account's Auth Token.</param>
    /// <returns><see langword="true"/> when both the signature and the body hash match.</returns>
    public static bool IsValidJsonBody(string urlWithBodySha256Query, ReadOnlySpan<byte> rawBody, string signature, string authToken)
    {
        ArgumentNullException.ThrowIfNull(urlWithBodySha256Query);
        ArgumentException.ThrowIfNullOrEmpty(authToken);

        if (!LooksLikeSignature(signature))
        {
            return false;
        }

        var hexHash = QueryValue(urlWithBodySha256Query, BodyHashParameter);
        Span<byte> claimedHash = stackalloc byte[Sha256Length];
        if (hexHash.Length != Sha256Length * 2
            || Convert.FromHexString(hexHash, claimedHash, out _, out var written) != OperationStatus.Done
            || written != Sha256Length)
        {
            return false;
        }

        Span<byte> bodyHash = stackalloc byte[Sha256Length];
        SHA256.HashData(rawBody, bodyHash);
        var bodyMatches = CryptographicOperations.FixedTimeEquals(bodyHash, claimedHash);

        using var payload = new SignedPayload(urlWithBodySha256Query, []);
        var signatureMatches = Matches(payload, urlWithBodySha256Query, signature, authToken);
        return bodyMatches & signatureMatches;
    }

    /// <summary>
    /// Compares Base64 text rather than decoded bytes: Base64 decoders ignore the unused low bits of the last character,
    /// so several strings decode to one hash, and only Twilio's exact string should pass.
    /// </summary>
    private static bool Matches(in SignedPayload payload, string url, string signature, string authToken)
    {
        var expected = MemoryMarshal.AsBytes(signature.AsSpan());
        var hmac = KeyedHmac.For(authToken);
        Span<byte> hash = stackalloc byte[Sha1Length];
        Span<char> actual = stackalloc char[Base64Length];
        payload.Hash(hmac, new UrlVariant(url, url.Length, "", url.Length), hash);
        Convert.TryToBase64Chars(hash, actual, out _);
        if (CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(actual), expected))
        {
            return true;
        }

        if (UrlVariant.TryOther(url, out var other))
        {
            payload.Hash(hmac, other, hash);
            Convert.TryToBase64Chars(hash, actual, out _);
            return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(actual), expected);
        }

        return false;
    }

    private static Span<byte> EncodeKey(string authToken, Span<byte> stackBuffer, ref byte[]? rented)
    {
        var length = Utf8.GetByteCount(authToken);
        var buffer = length <= stackBuffer.Length ? stackBuffer : (rented = ArrayPool<byte>.Shared.Rent(length));
        return buffer[..Utf8.GetBytes(authToken, buffer)];
    }

    private static bool LooksLikeSignature([NotNullWhen(true)] string? signature) => signature?.Length == Base64Length;

    /// <summary>The raw value of the first query parameter named <paramref name="name"/>, or empty.</summary>
    private static ReadOnlySpan<char> QueryValue(string url, string name)
    {
        var query = url.AsSpan();
        var start = query.IndexOf('?');
        if (start < 0)
        {
            return [];
        }

        query = query[(start + 1)..];
        var fragment = query.IndexOf('#');
        if (fragment >= 0)
        {
            query = query[..fragment];
        }

        while (!query.IsEmpty)
        {
            var end = query.IndexOf('&');
            var pair = end < 0 ? query : query[..end];
            var equals = pair.IndexOf('=');
            if (equals >= 0 && pair[..equals].SequenceEqual(name))
            {
                return pair[(equals + 1)..];
            }

            query = end < 0 ? [] : query[(end + 1)..];
        }

        return [];
    }
}
