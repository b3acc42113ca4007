using System.Globalization;
using System.Net;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Meta;

/// <summary>
/// Maps the Cloud API's error codes (in a send's answer or a failed status) to a <see cref="SendResult"/> whose detail
/// tells the LLM what to do next. Meta's own message is not passed on: it can quote the number or the text.
/// </summary>
internal static class MetaErrors
{
    /// <summary>The service as the model is told of it.</summary>
    private const string Service = "WhatsApp (Meta)";

    internal const int InvalidParameter = 100;
    internal const int AccessTokenExpired = 190;
    internal const int Throughput = 130429;
    internal const int PairRateLimit = 131056;
    internal const string PairRateLimitCode = "131056";
    internal const int ReEngagement = 131047;
    internal const int Undeliverable = 131026;
    internal const int UnsupportedType = 131051;
    internal const int ParameterCount = 132000;
    internal const int TemplateMissing = 132001;

    /// <summary>Whether Meta refused the request for its rate limits: it took nothing, so a later retry is safe.</summary>
    internal static bool IsRateLimit(int? code) => code is Throughput or PairRateLimit;

    /// <summary>Maps a non-success answer by Meta's error code, else by its HTTP status.</summary>
    internal static SendResult FromResponse(HttpStatusCode status, int? code)
    {
        var errorCode = code?.ToString(CultureInfo.InvariantCulture);
        if (code is { } known && Describe(known) is { } mapped)
        {
            return mapped;
        }

        var http = (int)status;
        if (status == HttpStatusCode.TooManyRequests)
        {
            return RateLimited(errorCode);
        }

        if (http >= 500)
        {
            // Meta documents no 5xx as "nothing was taken" (unlike its rate-limit codes), so none is ever retried.
            return TransportResults.ServerFailed(Service, errorCode);
        }

        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return CredentialsRefused(errorCode);
        }

        var what = code is null ? $"HTTP {http}" : $"error {errorCode}";
        return SendResult.Failed(
            SendFailureReason.Rejected,
            $"WhatsApp (Meta) rejected the message ({what}), so it was not sent; do not send it again unchanged; read the content aloud instead.",
            errorCode);
    }

    /// <summary>The result of one of the documented codes; <see langword="null"/> for others.</summary>
    private static SendResult? Describe(int code)
    {
        var errorCode = code.ToString(CultureInfo.InvariantCulture);
        return code switch
        {
            ReEngagement => SendResult.Failed(
                SendFailureReason.WhatsAppWindowClosed,
                "WhatsApp free-form messages are allowed only within 24 hours of the caller's last WhatsApp message; send an approved WhatsApp template, offer SMS, or read the content aloud.",
                errorCode),
            Undeliverable => SendResult.Failed(
                SendFailureReason.NotOnWhatsApp,
                "WhatsApp could not deliver to this number (it may not be on WhatsApp, or not on a recent version); offer SMS or read the content aloud.",
                errorCode),
            UnsupportedType => SendResult.Failed(
                SendFailureReason.Rejected,
                "WhatsApp does not support this kind of message or attachment, so it was not sent; send plain text or read the content aloud.",
                errorCode),
            ParameterCount => SendResult.Failed(
                SendFailureReason.Rejected,
                "The approved WhatsApp template expects a different number of values than were configured (a configuration problem), so it was not sent; read the content aloud.",
                errorCode),
            TemplateMissing => SendResult.Failed(
                SendFailureReason.Rejected,
                "The WhatsApp template does not exist in this language or is not approved yet (a configuration problem), so nothing was sent; read the content aloud.",
                errorCode),
            AccessTokenExpired => CredentialsRefused(errorCode),
            InvalidParameter => SendResult.Failed(
                SendFailureReason.Rejected,
                "WhatsApp (Meta) refused a value of the message as invalid, so it was not sent; do not send it again unchanged; read the content aloud.",
                errorCode),
            Throughput or PairRateLimit => RateLimited(errorCode),
            _ => null,
        };
    }

    /// <summary>
    /// What an error code of a <c>failed</c> status means, in words for the agent's status line, and how it classifies;
    /// <see langword="null"/> meaning for codes not listed here.
    /// </summary>
    internal static (SendFailureReason? Reason, string? Meaning) DescribeDeliveryError(int? code) => code switch
    {
        ReEngagement => (SendFailureReason.WhatsAppWindowClosed, "the 24-hour WhatsApp window had closed"),
        Undeliverable => (SendFailureReason.NotOnWhatsApp, "WhatsApp could not deliver to this number"),
        UnsupportedType => (SendFailureReason.Rejected, "WhatsApp does not support this kind of message"),
        ParameterCount => (SendFailureReason.Rejected, "the template's values did not match the approved template"),
        TemplateMissing => (SendFailureReason.Rejected, "the template does not exist in this language"),
        Throughput or PairRateLimit => (SendFailureReason.RateLimited, "WhatsApp was limiting how fast messages go out"),
        _ => (null, null),
    };

    /// <summary>The request could not be delivered to WhatsApp (Meta) at all (no connection): nothing was sent.</summary>
    internal static SendResult Unreachable() => TransportResults.Unreachable(Service);

    /// <summary>The connection failed after the request went out: the message may or may not have been sent.</summary>
    internal static SendResult ConnectionLost() => TransportResults.ConnectionLost(Service);

    /// <summary>WhatsApp (Meta) did not answer within the timeout while the request was out: the message may or may not have been sent.</summary>
    internal static SendResult TimedOut(TimeSpan timeout) => TransportResults.TimedOut(Service, timeout);

    /// <summary>A message this library would not send (empty, too long, half filled): nothing went out.</summary>
    internal static SendResult NotSendable(string problem) => SendResult.Failed(SendFailureReason.Rejected, problem);

    private static SendResult RateLimited(string? errorCode) =>
        SendResult.Failed(
            SendFailureReason.RateLimited,
            "WhatsApp is limiting how fast messages go out and this one was not sent; try once more in a moment or read the content aloud.",
            errorCode);

    private static SendResult CredentialsRefused(string? errorCode) =>
        SendResult.Failed(
            SendFailureReason.Rejected,
            "WhatsApp (Meta) refused this service's access token (expired or revoked: a configuration problem), so the message was not sent; tell the caller texting is unavailable and read the content aloud.",
            errorCode);
}
