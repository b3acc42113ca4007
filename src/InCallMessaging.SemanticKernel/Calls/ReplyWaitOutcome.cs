
namespace InCallMessaging.SemanticKernel;

/// <summary>How a wait for a reply ended.</summary>
internal enum ReplyWaitKind
{
    Replied,

    /// <summary>The caller answered with an opt-out keyword (STOP and the like): consent, not an answer.</summary>
    OptedOut,
    AnsweredByVoice,
    TimedOut,
    DeliveryFailed,
    CallEnded,
    Cancelled,
}

internal readonly record struct ReplyWaitOutcome(ReplyWaitKind Kind, string? Text = null, InboundMessage? Reply = null, string? ErrorCode = null);

/// <summary>One action waiting for the caller's reply on one channel and sender.</summary>
internal sealed class ReplyWait(MessageChannel channel, string senderName, DateTimeOffset startedAt)
{
    private readonly TaskCompletionSource<ReplyWaitOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MessageChannel Channel { get; } = channel;

    public string SenderName { get; } = senderName;

    public DateTimeOffset StartedAt { get; } = startedAt;

    /// <summary>The outbound message it waits on, once the provider has accepted it.</summary>
    public string? MessageId { get; set; }

    /// <summary>Set once the message is out and the timeout is running: from then on the caller is being waited for.</summary>
    public bool IsArmed { get; set; }

    public Task<ReplyWaitOutcome> Task => _completion.Task;

    public bool TryComplete(ReplyWaitOutcome outcome) => _completion.TrySetResult(outcome);
}
