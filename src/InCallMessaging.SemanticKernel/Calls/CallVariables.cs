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

    /// <summary>The parameter added to actions without a body: the text the LLM writes.</summary>
    public const string Message = "message";

    /// <summary>The status variable of a channel.</summary>
    public static string StatusVariable(MessageChannel channel) =>
        channel == MessageChannel.WhatsApp ? WhatsAppStatus : SmsStatus;

    /// <summary>The default reply variable of a channel.</summary>
    public static string DefaultReplyVariable(MessageChannel channel) =>
        channel == MessageChannel.WhatsApp ? WhatsAppReply : SmsReply;
}
