namespace InCallMessaging.SemanticKernel;

/// <summary>
/// How each <see cref="MessageChannel"/> is written: the lowercase name in the LLM's JSON result, telemetry tags and the
/// custom provider's JSON, and the display name in transcript labels. The one place these spellings live.
/// </summary>
internal static class ChannelNames
{
    /// <summary>The SMS channel's name.</summary>
    public const string Sms = "sms";

    /// <summary>The WhatsApp channel's name.</summary>
    public const string WhatsApp = "whatsapp";

    /// <summary>The lowercase name of <paramref name="channel"/>.</summary>
    public static string Of(MessageChannel channel) => channel == MessageChannel.WhatsApp ? WhatsApp : Sms;

    /// <summary>The lowercase name of <paramref name="channel"/> in UTF-8, for writers that take bytes.</summary>
    public static ReadOnlySpan<byte> Utf8Of(MessageChannel channel) => channel == MessageChannel.WhatsApp ? "whatsapp"u8 : "sms"u8;

    /// <summary>The name people read in a transcript label, such as <c>[SMS Reply]</c> or <c>[WhatsApp Status]</c>.</summary>
    public static string Display(MessageChannel channel) => channel == MessageChannel.WhatsApp ? "WhatsApp" : "SMS";

    /// <summary>The label a reply line starts with: <c>[SMS Reply]: </c> or <c>[WhatsApp Reply]: </c>.</summary>
    public static string ReplyLabel(MessageChannel channel) => channel == MessageChannel.WhatsApp ? WhatsAppReplyLabel : SmsReplyLabel;

    /// <summary>The label a delivery-status line starts with: <c>[SMS Status]: </c> or <c>[WhatsApp Status]: </c>.</summary>
    public static string StatusLabel(MessageChannel channel) => channel == MessageChannel.WhatsApp ? WhatsAppStatusLabel : SmsStatusLabel;

    private static readonly string SmsReplyLabel = $"[{Display(MessageChannel.Sms)} Reply]: ";
    private static readonly string WhatsAppReplyLabel = $"[{Display(MessageChannel.WhatsApp)} Reply]: ";
    private static readonly string SmsStatusLabel = $"[{Display(MessageChannel.Sms)} Status]: ";
    private static readonly string WhatsAppStatusLabel = $"[{Display(MessageChannel.WhatsApp)} Status]: ";

    /// <summary>The channel named <paramref name="name"/> (case-insensitive), or <see langword="null"/>.</summary>
    public static MessageChannel? Parse(string? name) =>
        string.Equals(name, Sms, StringComparison.OrdinalIgnoreCase) ? MessageChannel.Sms
        : string.Equals(name, WhatsApp, StringComparison.OrdinalIgnoreCase) ? MessageChannel.WhatsApp
        : null;
}
