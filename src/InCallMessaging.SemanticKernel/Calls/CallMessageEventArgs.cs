namespace InCallMessaging.SemanticKernel;

/// <summary>
/// What reached a live call: a reply from the caller, or a delivery status of one of its messages. Raised by
/// <see cref="CallSession.MessageArrived"/> after the reply or status took effect.
/// </summary>
public sealed class CallMessageEventArgs : EventArgs
{
    internal CallMessageEventArgs(CallMessage message, bool isStatus, bool resumedWait, string? transcriptLine)
    {
        Message = message;
        IsStatus = isStatus;
        ResumedWait = resumedWait;
        TranscriptLine = transcriptLine;
    }

    /// <summary>The caller's reply (<see cref="MessageDirection.Inbound"/>), or the sent message whose status changed.</summary>
    public CallMessage Message { get; }

    /// <summary>Whether this is a delivery status rather than a reply.</summary>
    public bool IsStatus { get; }

    /// <summary>Whether a waiting action took it (that action's turn is running and will answer it).</summary>
    public bool ResumedWait { get; }

    /// <summary>The line queued for the chat history, or <see langword="null"/> when none was (see <see cref="CallSession.HasPendingReplies"/>).</summary>
    public string? TranscriptLine { get; }
}
