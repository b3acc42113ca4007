using InCallMessaging.Twilio;
using Microsoft.Extensions.Primitives;

namespace VoiceBotHost.ConversationRelay;

/// <summary>
/// Checks the <c>X-Twilio-Signature</c> of the ConversationRelay WebSocket upgrade: Twilio signs the URL it connected
/// to (no body). The webhooks' endpoint filter rebuilds an http(s) URL, while this URL was given to Twilio as wss://,
/// so both spellings are tried (TwilioSignature itself tries the port variants).
/// </summary>
public static class UpgradeSignature
{
    public static bool IsValid(HttpRequest request, string authToken, Uri? publicBaseUrl)
    {
        var signature = request.Headers["X-Twilio-Signature"];
        if (StringValues.IsNullOrEmpty(signature))
        {
            return false;
        }

        var pathAndQuery = request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        var authority = publicBaseUrl is null
            ? request.Host.Value
            : publicBaseUrl.Authority + publicBaseUrl.AbsolutePath.TrimEnd('/');
        string[] schemes = publicBaseUrl is null && !request.IsHttps ? ["ws", "http", "wss", "https"] : ["wss", "https"];
        return schemes.Any(scheme => TwilioSignature.IsValid($"{scheme}://{authority}{pathAndQuery}", [], signature.ToString(), authToken));
    }
}
