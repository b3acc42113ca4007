using System.Globalization;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The results every HTTP provider gives when the exchange itself fails, worded once: whether the message went out is
/// known (nothing was sent) or not (never send it again on the model's own initiative), and the model is told which.
/// </summary>
internal static class TransportResults
{
    /// <summary>The request could not be delivered to <paramref name="service"/> at all (no connection): nothing was sent.</summary>
    public static SendResult Unreachable(string service) =>
        SendResult.Failed(
            SendFailureReason.ProviderUnavailable,
            $"{service} could not be reached and the message was not sent; offer to text it later or read the content aloud.");

    /// <summary>The connection failed after the request went out: the message may or may not have been sent.</summary>
    public static SendResult ConnectionLost(string service) =>
        SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, MaybeSent($"The connection to {service} broke before it answered"));

    /// <summary>No answer within <paramref name="timeout"/> while the request was out: the message may or may not have been sent.</summary>
    public static SendResult TimedOut(string service, TimeSpan timeout) =>
        SendResult.OutcomeUnknown(
            SendFailureReason.Timeout,
            MaybeSent($"{service} did not answer within {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} seconds"));

    /// <summary>The service answered with a server error: it may have sent the message before failing.</summary>
    public static SendResult ServerFailed(string service, string? errorCode) =>
        SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, MaybeSent($"{service} failed while handling the message"), errorCode);

    private static string MaybeSent(string what) =>
        what + ", so the message may or may not have been sent; do not send it again now: ask the caller whether it arrived, or read the content aloud.";
}
