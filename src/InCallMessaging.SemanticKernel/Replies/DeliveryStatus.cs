namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Orders delivery states so out-of-order callbacks never move a message backwards, and reads the library's own status
/// words (those a custom provider and the loopback report, and <see cref="DeliveryStatusUpdate.Status"/> documents)
/// for an update that gives only a word.
/// </summary>
internal static class DeliveryStatus
{
    public static bool IsFailure(DeliveryState state) => state is DeliveryState.Failed or DeliveryState.Undelivered;

    /// <summary>The state of one of the library's status words; <see cref="DeliveryState.Unknown"/> for any other word.</summary>
    public static DeliveryState FromWord(string? status) => status switch
    {
        "queued" or "accepted" or "scheduled" => DeliveryState.Queued,
        "sending" => DeliveryState.Sending,
        "sent" => DeliveryState.Sent,
        "canceled" => DeliveryState.Canceled,
        "partially_delivered" => DeliveryState.PartiallyDelivered,
        "undelivered" => DeliveryState.Undelivered,
        "failed" => DeliveryState.Failed,
        "delivered" => DeliveryState.Delivered,
        "read" => DeliveryState.Read,
        _ => DeliveryState.Unknown,
    };

    /// <summary>
    /// Applies <paramref name="state"/> (reported as <paramref name="status"/>) when it is further along than the
    /// message's current state.
    /// </summary>
    public static bool TryAdvance(CallMessage message, DeliveryState state, string status, string? errorCode)
    {
        lock (message)
        {
            if (Rank(state) <= Rank(message.State))
            {
                return false;
            }

            message.Status = status;
            message.State = state;
            if (errorCode is not null)
            {
                message.ErrorCode = errorCode;
            }

            return true;
        }
    }

    /// <summary>How far along <paramref name="state"/> is; equal ranks do not replace each other.</summary>
    internal static int Rank(DeliveryState state) => state switch
    {
        DeliveryState.Queued => 1,
        DeliveryState.Sending => 2,
        DeliveryState.Sent => 3,
        DeliveryState.Canceled or DeliveryState.PartiallyDelivered => 4,
        DeliveryState.Failed or DeliveryState.Undelivered => 5,
        DeliveryState.Delivered => 6,
        DeliveryState.Read => 7,
        _ => 0,
    };
}
