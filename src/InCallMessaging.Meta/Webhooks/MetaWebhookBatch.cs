using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Meta;

/// <summary>What one webhook request carried, across its <c>entry[].changes[]</c>, in the order Meta listed it.</summary>
internal sealed class MetaWebhookBatch
{
    /// <summary>The inbound messages (text, interactive replies, media).</summary>
    public List<InboundMessage> Messages { get; } = [];

    /// <summary>The delivery-status updates of outbound messages.</summary>
    public List<DeliveryStatusUpdate> Statuses { get; } = [];

    /// <summary>Items that were skipped, each with why (no personal data): logged, never a reason to refuse the batch.</summary>
    public List<string> Skipped { get; } = [];

    /// <summary>The fields of changes that are not messages (template reviews, quality ratings): not for a call.</summary>
    public List<string> OtherFields { get; } = [];
}
