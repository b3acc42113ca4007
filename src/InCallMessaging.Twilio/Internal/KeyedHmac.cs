using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.Twilio.Internal;

/// <summary>
/// An HMAC-SHA1 keyed with the Auth Token, one per thread: keying costs about as much as hashing a whole webhook
/// (OpenSSL sets up a context each time), and every request on a host uses the same token.
/// </summary>
internal static class KeyedHmac
{
    [ThreadStatic]
    private static IncrementalHash? t_hmac;

    [ThreadStatic]
    private static string? t_token;

    public static IncrementalHash For(string authToken)
    {
        if (t_hmac is null || !string.Equals(t_token, authToken, StringComparison.Ordinal))
        {
            t_hmac?.Dispose();
            var key = Encoding.UTF8.GetBytes(authToken);
            t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
            CryptographicOperations.ZeroMemory(key);
            t_token = authToken;
        }

        return t_hmac;
    }
}
