using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Redis.Tests;

/// <summary>Logged messages of call <c>CA1</c> with caller <c>caller-a</c>, for the Redis store's own tests.</summary>
internal static class TestMessages
{
    /// <summary>A text the call sent, as the send path logs it (queued, no text kept).</summary>
    public static LoggedMessage Sent(string messageId, DateTimeOffset createdAt) =>
        Sms(messageId, MessageDirection.Outbound, createdAt) with { Status = "queued", State = DeliveryState.Queued };

    /// <summary>A text the caller sent, as the reply hub logs it.</summary>
    public static LoggedMessage Received(string messageId, string text, DateTimeOffset createdAt) =>
        Sms(messageId, MessageDirection.Inbound, createdAt) with { Text = text };

    private static LoggedMessage Sms(string messageId, MessageDirection direction, DateTimeOffset createdAt) => new()
    {
        MessageId = messageId,
        Direction = direction,
        Channel = MessageChannel.Sms,
        CallId = "CA1",
        SenderName = "default",
        SenderIdentity = "+15550001",
        CallerKey = "caller-a",
        Caller = "+1415***0100",
        ContentHash = "0123abcd",
        CreatedAt = createdAt,
        Status = "received",
        State = DeliveryState.Delivered,
    };
}
