namespace InCallMessaging.AspNetCore.Internal;

/// <summary>
/// A sender or recipient address as providers write it: a phone number, or a WhatsApp address <c>whatsapp:+1...</c>
/// (Twilio's spelling, which the custom provider's JSON accepts too).
/// </summary>
internal static class ChannelAddress
{
    private const string WhatsAppPrefix = "whatsapp:";

    /// <summary>Strips a <c>whatsapp:</c> prefix; says whether there was one.</summary>
    public static (string Address, bool WhatsApp) Split(string address)
    {
        var trimmed = address.Trim();
        return trimmed.StartsWith(WhatsAppPrefix, StringComparison.OrdinalIgnoreCase)
            ? (trimmed[WhatsAppPrefix.Length..].Trim(), true)
            : (trimmed, false);
    }
}
