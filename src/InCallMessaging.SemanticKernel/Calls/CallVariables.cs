namespace InCallMessaging.SemanticKernel;

/// <summary>The names of the variables every call session has.</summary>
public static class CallVariables
{
    /// <summary>The caller's number in E.164 form.</summary>
    public const string UserPhoneNumber = "user_phone_number";

    /// <summary>The agent's (called) number.</summary>
    public const string AgentPhoneNumber = "agent_phone_number";

    /// <summary>The call's id (Twilio CallSid).</summary>
    public const string CallId = "call_id";

    /// <summary>The default variable that holds the latest SMS reply.</summary>
    public const string SmsReply = "sms_reply";

    /// <summary>The default variable that holds the latest WhatsApp reply.</summary>
    public const string WhatsAppReply = "whatsapp_reply";

    /// <summary>The latest delivery status reported for an SMS of the call (<c>delivered</c>, <c>undelivered</c>, ...).</summary>
    public const string SmsStatus = "sms_status";

    /// <summary>The latest delivery status reported for a WhatsApp message of the call (<c>read</c>, <c>failed</c>, ...).</summary>
    public const string WhatsAppStatus = "whatsapp_status";

    /// <summary>The default variable that holds the attachments of the latest SMS reply, as a JSON array.</summary>
    public const string SmsReplyMedia = "sms_reply_media";

    /// <summary>The default variable that holds the attachments of the latest WhatsApp reply, as a JSON array.</summary>
    public const string WhatsAppReplyMedia = "whatsapp_reply_media";

    /// <summary>What a reply variable's companion that holds the reply's attachments ends with.</summary>
    public const string MediaSuffix = "_media";

    /// <summary>The parameter added to actions without a body: the text the LLM writes.</summary>
    public const string Message = "message";

    /// <summary>The status variable of a channel.</summary>
    public static string StatusVariable(MessageChannel channel) =>
        channel == MessageChannel.WhatsApp ? WhatsAppStatus : SmsStatus;

    /// <summary>The default reply variable of a channel.</summary>
    public static string DefaultReplyVariable(MessageChannel channel) =>
        channel == MessageChannel.WhatsApp ? WhatsAppReply : SmsReply;

    /// <summary>
    /// The companion of <paramref name="replyVariable"/> that holds the reply's attachments as a JSON array
    /// <c>[{"url":"...","content_type":"..."}]</c>: <c>sms_reply_media</c> for <c>sms_reply</c>. It is cleared by a
    /// reply without attachments, so an earlier attachment is never taken for a new one.
    /// </summary>
    public static string MediaVariable(string replyVariable)
    {
        ArgumentNullException.ThrowIfNull(replyVariable);
        return replyVariable switch
        {
            SmsReply => SmsReplyMedia,
            WhatsAppReply => WhatsAppReplyMedia,
            // Reply variables are a handful of configured names: remember each companion instead of building it per reply.
            _ => MediaVariables.GetOrAdd(replyVariable, static name => name + MediaSuffix),
        };
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> MediaVariables = new(StringComparer.Ordinal);
}
