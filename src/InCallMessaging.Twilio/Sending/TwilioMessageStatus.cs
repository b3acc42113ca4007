using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Twilio;

/// <summary>Twilio's <c>MessageStatus</c> words (status callbacks and the REST answer), mapped to the library's states.</summary>
internal static class TwilioMessageStatus
{
    /// <summary>
    /// The state of a Twilio status word (lowercase, as Twilio sends it); <see cref="DeliveryState.Unknown"/> for a word
    /// Twilio may add later, and for the inbound-only <c>receiving</c>/<c>received</c>.
    /// </summary>
    /// <remarks>The library's status words were taken from Twilio's, so the core's reading of them is Twilio's too.</remarks>
    public static DeliveryState ToState(string status) => DeliveryStatus.FromWord(status);
}
