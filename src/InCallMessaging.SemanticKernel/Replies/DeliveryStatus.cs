namespace InCallMessaging.SemanticKernel.Replies;

/// <summary>Orders delivery statuses so out-of-order callbacks never move a message backwards.</summary>
internal static class DeliveryStatus
{
    public static bool IsFailure(string status) => status is "failed" or "undelivered";

    /// <summary>Applies <paramref name="status"/> when it is further along than the message's current one.</summary>
    public static bool TryAdvance(CallMessage message, string status, string? errorCode)
    {
        lock (message)
        {
            if (Rank(status) <= Rank(message.Status))
            {
                return false;
            }

            message.Status = status;
            if (errorCode is not null)
            {
                message.ErrorCode = errorCode;
            }

            return true;
        }
    }

    private static int Rank(string? status) => status switch
    {
        null => 0,
        "accepted" or "scheduled" or "queued" => 1,
        "sending" => 2,
        "sent" => 3,
        "canceled" or "partially_delivered" => 4,
        "failed" or "undelivered" => 5,
        "delivered" => 6,
        "read" => 7,
        _ => 0,
    };
}
