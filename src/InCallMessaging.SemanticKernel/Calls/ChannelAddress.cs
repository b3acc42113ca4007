namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A sender or recipient address as providers write it: a phone number, or a WhatsApp address <c>whatsapp:+1...</c>
/// (Twilio's spelling, which the custom provider's JSON accepts too). The one place the prefix is read and written.
/// </summary>
internal static class ChannelAddress
{
    /// <summary>The prefix of a WhatsApp address.</summary>
    public const string WhatsAppPrefix = "whatsapp:";

    /// <summary>Strips a <c>whatsapp:</c> prefix (any case) and white space; says whether there was one.</summary>
    public static (string Address, bool WhatsApp) Split(string address)
    {
        var trimmed = address.Trim();
        return trimmed.StartsWith(WhatsAppPrefix, StringComparison.OrdinalIgnoreCase)
            ? (trimmed[WhatsAppPrefix.Length..].Trim(), true)
            : (trimmed, false);
    }

    /// <summary>Strips a <c>whatsapp:</c> prefix and white space.</summary>
    public static string Strip(string address) => Split(address).Address;

    /// <summary>The bare <paramref name="address"/>, with the <c>whatsapp:</c> prefix when <paramref name="whatsApp"/>.</summary>
    public static string For(string address, bool whatsApp)
    {
        var bare = Strip(address);
        return whatsApp ? WhatsAppPrefix + bare : bare;
    }
}
