using InCallMessaging.SemanticKernel;
using System.Globalization;
using System.Net;

namespace InCallMessaging.Twilio;

/// <summary>
/// Maps Twilio's answers and transport failures to a <see cref="SendResult"/> whose detail tells the LLM what to do next.
/// Details never contain phone numbers or credentials (Twilio's own message can quote the number, so it is not passed on).
/// </summary>
internal static class TwilioErrors
{
    /// <summary>The service as the model is told of it.</summary>
    private const string Service = "Twilio";

    internal const int InvalidToNumber = 21211;
    internal const int RegionNotEnabled = 21408;
    internal const int UnsubscribedRecipient = 21610;
    internal const int NotMobileNumber = 21614;
    internal const int WhatsAppOutsideWindow = 63016;
    internal const int InvalidWhatsAppRecipient = 63024;
    internal const int TooManyRequests = 20429;

    /// <summary>Maps a non-success answer, using Twilio's error code when it has one and the HTTP status otherwise.</summary>
    internal static SendResult FromResponse(HttpStatusCode status, int? code)
    {
        var errorCode = code?.ToString(CultureInfo.InvariantCulture);
        switch (code)
        {
            case InvalidToNumber:
                return SendResult.Failed(
                    SendFailureReason.InvalidRecipient,
                    "The number cannot receive texts; ask the caller for another number or read the content aloud.",
                    errorCode);
            case RegionNotEnabled:
                return SendResult.Failed(
                    SendFailureReason.RegionNotSupported,
                    "Texts cannot be sent to that country or region; read the content aloud instead.",
                    errorCode);
            case UnsubscribedRecipient:
                return SendResult.Failed(
                    SendFailureReason.OptedOut,
                    "The caller has opted out of texts from this number (replied STOP); do not retry; read the content aloud instead.",
                    errorCode);
            case NotMobileNumber:
                return SendResult.Failed(
                    SendFailureReason.NotMobile,
                    "The number is not a mobile number (a landline) and cannot receive texts; ask the caller for a mobile number or read the content aloud.",
                    errorCode);
            case WhatsAppOutsideWindow:
                return SendResult.Failed(
                    SendFailureReason.WhatsAppWindowClosed,
                    "WhatsApp free-form messages are allowed only within 24 hours of the caller's last WhatsApp message; send an approved WhatsApp template, offer SMS, or read the content aloud.",
                    errorCode);
            case InvalidWhatsAppRecipient:
                return SendResult.Failed(
                    SendFailureReason.NotOnWhatsApp,
                    "The number is not on WhatsApp; offer to send an SMS instead or read the content aloud.",
                    errorCode);
            case TooManyRequests:
                return RateLimited(errorCode);
        }

        var http = (int)status;
        if (status == HttpStatusCode.TooManyRequests)
        {
            return RateLimited(errorCode);
        }

        if (status == HttpStatusCode.ServiceUnavailable)
        {
            return SendResult.Failed(
                SendFailureReason.ProviderUnavailable,
                "Twilio is temporarily unavailable and the message was not sent; offer to text it later or read the content aloud.",
                errorCode);
        }

        if (http >= 500)
        {
            return TransportResults.ServerFailed(Service, errorCode);
        }

        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return SendResult.Failed(
                SendFailureReason.Rejected,
                "Twilio refused this service's credentials (a configuration problem), so the message was not sent; tell the caller texting is unavailable and read the content aloud.",
                errorCode);
        }

        var what = code is null ? $"HTTP {http}" : $"error {errorCode}";
        return SendResult.Failed(
            SendFailureReason.Rejected,
            $"Twilio rejected the message ({what}), so it was not sent; do not send it again unchanged; read the content aloud instead.",
            errorCode);
    }

    /// <summary>
    /// What a delivery error code of a status callback (<c>ErrorCode</c> with <c>failed</c> or <c>undelivered</c>) means,
    /// in words for the agent, and how it classifies; <see langword="null"/> meaning for codes not listed here.
    /// </summary>
    internal static (SendFailureReason? Reason, string? Meaning) DescribeDeliveryError(string? code) => code switch
    {
        "30003" => (null, "the phone is unreachable or switched off"),
        "30004" => (SendFailureReason.Rejected, "the message was blocked by the recipient or their carrier"),
        "30005" => (SendFailureReason.InvalidRecipient, "the number is unknown or no longer in service"),
        "30006" => (SendFailureReason.NotMobile, "the number is a landline or its carrier cannot receive texts"),
        "30007" => (SendFailureReason.Rejected, "the carrier filtered the message"),
        "30008" => (null, "an unknown delivery error"),
        "30034" => (SendFailureReason.Rejected, "the sending number is not registered for A2P 10DLC"),
        "21610" => (SendFailureReason.OptedOut, "the caller has opted out of texts from this number"),
        "63016" => (SendFailureReason.WhatsAppWindowClosed, "the 24-hour WhatsApp window had closed"),
        "63024" => (SendFailureReason.NotOnWhatsApp, "the number is not on WhatsApp"),
        "63003" => (SendFailureReason.NotOnWhatsApp, "the WhatsApp channel could not reach the number"),
        _ => (null, null),
    };

    /// <summary>The request could not be delivered to Twilio at all (no connection): nothing was sent.</summary>
    internal static SendResult Unreachable() => TransportResults.Unreachable(Service);

    /// <summary>The connection failed after the request went out: the message may or may not have been sent.</summary>
    internal static SendResult ConnectionLost() => TransportResults.ConnectionLost(Service);

    /// <summary>Twilio did not answer within the timeout while the request was out: the message may or may not have been sent.</summary>
    internal static SendResult TimedOut(TimeSpan timeout) => TransportResults.TimedOut(Service, timeout);

    private static SendResult RateLimited(string? errorCode) =>
        SendResult.Failed(
            SendFailureReason.RateLimited,
            "Twilio is limiting how fast messages go out and this one was not sent; try once more in a moment or read the content aloud.",
            errorCode);
}
