namespace InCallMessaging.SemanticKernel;

/// <summary>The messaging channel an action sends on.</summary>
public enum MessageChannel
{
    /// <summary>A plain SMS (or MMS with media).</summary>
    Sms,

    /// <summary>A WhatsApp message (free-form inside the 24-hour window, a Content template outside it).</summary>
    WhatsApp,
}
