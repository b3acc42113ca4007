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

    /// <summary>The parameter added to actions without a body: the text the LLM writes.</summary>
    public const string Message = "message";

    /// <summary>The default reply variable of a channel.</summary>
    public static string DefaultReplyVariable(MessageChannel channel) =>
        channel == MessageChannel.WhatsApp ? WhatsAppReply : SmsReply;
}
