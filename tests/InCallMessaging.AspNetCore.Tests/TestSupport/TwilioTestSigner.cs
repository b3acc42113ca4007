using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.AspNetCore.Tests.TestSupport;

/// <summary>
/// Signs requests the way Twilio does, written independently of the production validator so the tests check it
/// rather than mirror it: HMAC-SHA1 over the URL plus the form parameters sorted by name (then value), Base64.
/// </summary>
internal static class TwilioTestSigner
{
    public static string Sign(string url, IEnumerable<KeyValuePair<string, string>> form, string authToken)
    {
        var data = new StringBuilder(url);
        // A repeated name's values sorted too, as Twilio's libraries sign them (twilio/twilio-node#722).
        foreach (var (name, value) in form.OrderBy(pair => pair.Key, StringComparer.Ordinal).ThenBy(pair => pair.Value, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

#pragma warning disable CA5350 // Twilio's algorithm.
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
#pragma warning restore CA5350
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>A form POST with the signature header, aimed at <paramref name="requestUri"/> but signed for <paramref name="signedUrl"/>.</summary>
    public static HttpRequestMessage SignedForm(Uri requestUri, string signedUrl, IReadOnlyList<KeyValuePair<string, string>> form, string authToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, requestUri) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Sign(signedUrl, form, authToken));
        return request;
    }
}
