using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Twilio;

/// <summary>Twilio's <c>MessageStatus</c> words (status callbacks and the REST answer), mapped to the library's states.</summary>
internal static class TwilioMessageStatus
{
    /// <summary>
    /// The state of a Twilio status word (lowercase, as Twilio sends it); <see cref="DeliveryState.Unknown"/> for a word
    /// Twilio may add later, and for the inbound-only <c>receiving</c>/<c>received</c>.
    /// </summary>
    public static DeliveryState ToState(string status) => status switch
    {
        "accepted" or "scheduled" or "queued" => DeliveryState.Queued,
        "sending" => DeliveryState.Sending,
        "sent" => DeliveryState.Sent,
        "canceled" => DeliveryState.Canceled,
        "partially_delivered" => DeliveryState.PartiallyDelivered,
        "undelivered" => DeliveryState.Undelivered,
        "failed" => DeliveryState.Failed,
        "delivered" => DeliveryState.Delivered,
        "read" => DeliveryState.Read,
        _ => DeliveryState.Unknown,
    };
}
