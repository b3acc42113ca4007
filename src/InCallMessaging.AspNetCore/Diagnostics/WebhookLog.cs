using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.AspNetCore.Diagnostics;

/// <summary>
/// The webhook endpoints' log events. Phone numbers are masked (unless the plugin's <c>MaskPersonalData</c> is off) and
/// message texts are never logged, only their length.
/// </summary>
internal static partial class WebhookLog
{
    /// <summary>The logger category of the webhook endpoints.</summary>
    public const string Category = "InCallMessaging.AspNetCore.Webhooks";

    /// <summary>Masks <paramref name="phone"/> unless masking is switched off.</summary>
    public static string Phone(string? phone, bool mask) => Redact.Phone(phone, mask);

    [LoggerMessage(1, LogLevel.Information,
        "Inbound {Provider} {Channel} message {MessageId} from {From} to {To} ({TextLength} chars, {MediaCount} media): {Outcome}.")]
    public static partial void InboundAccepted(ILogger logger, string provider, MessageChannel channel, string messageId,
        string from, string to, int textLength, int mediaCount, string outcome);

    [LoggerMessage(2, LogLevel.Information, "Status '{Status}' for message {MessageId} (error code {ErrorCode}): {Outcome}.")]
    public static partial void StatusAccepted(ILogger logger, string status, string messageId, string? errorCode, string outcome);

    [LoggerMessage(3, LogLevel.Warning, "Rejected {Method} {Path}: X-Twilio-Signature {Reason}.")]
    public static partial void TwilioSignatureRejected(ILogger logger, string method, string path, string reason);

    [LoggerMessage(4, LogLevel.Error,
        "Refused {Method} {Path}: no Twilio Auth Token is configured (InCallMessaging:Twilio:AuthToken), so Twilio's signature cannot be checked.")]
    public static partial void TwilioAuthTokenMissing(ILogger logger, string method, string path);

    [LoggerMessage(5, LogLevel.Warning, "Rejected {Method} {Path}: {Reason}.")]
    public static partial void CustomSignatureRejected(ILogger logger, string method, string path, string reason);

    [LoggerMessage(6, LogLevel.Error,
        "Refused {Method} {Path}: no custom provider secret is configured (InCallMessaging:Webhooks:CustomProviderSecret).")]
    public static partial void CustomSecretMissing(ILogger logger, string method, string path);

    [LoggerMessage(7, LogLevel.Warning, "Rejected {Method} {Path} with {StatusCode}: {Problem}")]
    public static partial void RequestRejected(ILogger logger, string method, string path, int statusCode, string problem);

    [LoggerMessage(8, LogLevel.Information, "Inbound message {MessageId} finished delivering in the background: {Outcome}.")]
    public static partial void BackgroundDeliveryFinished(ILogger logger, string messageId, string outcome);

    [LoggerMessage(9, LogLevel.Error, "Inbound message {MessageId} failed to deliver in the background.")]
    public static partial void BackgroundDeliveryFailed(ILogger logger, Exception exception, string messageId);
}
