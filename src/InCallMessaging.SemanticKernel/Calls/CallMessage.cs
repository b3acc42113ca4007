namespace InCallMessaging.SemanticKernel;

/// <summary>Which way a recorded message went.</summary>
public enum MessageDirection
{
    /// <summary>From the agent to the customer.</summary>
    Outbound,

    /// <summary>From the customer to the agent.</summary>
    Inbound,
}

/// <summary>A message recorded on a call session: what went out, what came back, and its latest delivery status.</summary>
public sealed class CallMessage
{
    internal CallMessage(MessageDirection direction, MessageChannel channel, string messageId, string senderName,
        string customer, string text, DateTimeOffset timestamp, string? actionName, string? status)
    {
        Direction = direction;
        Channel = channel;
        MessageId = messageId;
        SenderName = senderName;
        Customer = customer;
        Text = text;
        Timestamp = timestamp;
        ActionName = actionName;
        Status = status;
    }

    /// <summary>Outbound or inbound.</summary>
    public MessageDirection Direction { get; }

    /// <summary>SMS or WhatsApp.</summary>
    public MessageChannel Channel { get; }

    /// <summary>The provider's message id.</summary>
    public string MessageId { get; }

    /// <summary>The sender it went through or came in on.</summary>
    public string SenderName { get; }

    /// <summary>The customer's number (E.164).</summary>
    public string Customer { get; }

    /// <summary>The text (for a template send: a description of the template).</summary>
    public string Text { get; }

    /// <summary>When it was sent or received.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The action that sent it (outbound only).</summary>
    public string? ActionName { get; }

    /// <summary>The latest delivery status (outbound), such as <c>queued</c>, <c>delivered</c> or <c>failed</c>.</summary>
    public string? Status { get; internal set; }

    /// <summary>The provider's error code when delivery failed.</summary>
    public string? ErrorCode { get; internal set; }

    /// <summary>The order the call recorded it in.</summary>
    internal long Sequence { get; set; }
}
