using System.Security.Cryptography;
using InCallMessaging.AspNetCore;
using InCallMessaging.Twilio;
using Microsoft.Extensions.Options;

namespace VoiceBotHost.Simulator;

/// <summary>
/// Plays Twilio towards this host: builds a webhook form, signs it with the configured (development) Auth Token exactly
/// as Twilio would, and POSTs it over real HTTP, so the signature filter, the parser and the reply hub all run.
/// Registered only while the host runs on the development token: the browser never holds it.
/// </summary>
public sealed class SignedWebhookClient(IHttpClientFactory httpClients, SelfAddress self, IOptionsMonitor<TwilioOptions> twilio,
    IOptionsMonitor<WebhookOptions> webhooks)
{
    public async Task<HttpResponseMessage> PostAsync(string path, IReadOnlyList<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        var token = twilio.CurrentValue.AuthToken ?? throw new InvalidOperationException("No Auth Token is configured.");
        var signature = TwilioSignature.Compute(SignedUrl(path), form, token);
        using var request = new HttpRequestMessage(HttpMethod.Post, self.Combine(path)) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature);
        return await httpClients.CreateClient(nameof(SignedWebhookClient)).SendAsync(request, cancellationToken);
    }

    /// <summary>The URL Twilio would have called: the public base when one is configured (as the filter assumes), else this host.</summary>
    public string SignedUrl(string path)
    {
        var publicBase = webhooks.CurrentValue.PublicBaseUrl ?? twilio.CurrentValue.PublicBaseUrl;
        return publicBase is null ? self.Combine(path).AbsoluteUri : publicBase.OriginalString.Trim().TrimEnd('/') + path;
    }

    /// <summary>A Twilio-shaped SID: two letters and 32 hex digits.</summary>
    public static string NewSid(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string AccountSid => twilio.CurrentValue.AccountSid ?? DevelopmentCredentials.AccountSid;
}
