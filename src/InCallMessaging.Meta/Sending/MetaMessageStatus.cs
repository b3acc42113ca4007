using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Meta;

/// <summary>Meta's message status words (send answers and webhook <c>statuses[]</c>), mapped to the library's states.</summary>
internal static class MetaMessageStatus
{
    /// <summary>
    /// The state of a Meta status word: <c>accepted</c> and <c>held_for_quality_assessment</c> are queued, <c>sent</c>,
    /// <c>delivered</c>, <c>read</c> (and <c>played</c>, a voice message heard, as read) move forward, <c>failed</c>
    /// fails; <see cref="DeliveryState.Unknown"/> for a word Meta may add later (and <c>deleted</c>).
    /// </summary>
    public static DeliveryState ToState(string? status) => status switch
    {
        "accepted" or "held_for_quality_assessment" or "paused" or "pending" => DeliveryState.Queued,
        "sent" => DeliveryState.Sent,
        "delivered" => DeliveryState.Delivered,
        "read" or "played" => DeliveryState.Read,
        "failed" => DeliveryState.Failed,
        _ => DeliveryState.Unknown,
    };

    /// <summary>The library's word for a send's initial status (<c>accepted</c> when Meta gave none).</summary>
    public static string Word(string? status) => ToState(status) == DeliveryState.Queued || status is null ? "accepted" : status;
}
