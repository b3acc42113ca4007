using System.Text.RegularExpressions;

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
internal sealed class ReplyWait(MessageChannel channel, string senderName, DateTimeOffset startedAt, Regex? pattern = null)
{
    private readonly TaskCompletionSource<ReplyWaitOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stepAside = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MessageChannel Channel { get; } = channel;

    public string SenderName { get; } = senderName;

    public DateTimeOffset StartedAt { get; } = startedAt;

    /// <summary>The outbound message it waits on, once the provider has accepted it.</summary>
    public string? MessageId { get; set; }

    /// <summary>Set once the message is out and the timeout is running: from then on the caller is being waited for.</summary>
    public bool IsArmed { get; set; }

    public Task<ReplyWaitOutcome> Task => _completion.Task;

    /// <summary>
    /// Set once the action has returned (status <c>waiting</c>) and the wait goes on without it: a reply then reaches
    /// the chat history only as a transcript line, and nobody awaits <see cref="Task"/> but the background finish.
    /// </summary>
    public bool Detached { get; set; }

    /// <summary>Completes when the host asks the waiting action to return now and keep waiting in the background.</summary>
    public Task StepAsideRequested => _stepAside.Task;

    public void RequestStepAside() => _stepAside.TrySetResult();

    /// <summary>Whether spoken or keyed <paramref name="words"/> answer this wait (its action's reply pattern, if any).</summary>
    public bool Accepts(string words) =>
        pattern is null || pattern.IsMatch(words) || pattern.IsMatch(string.Concat(words.Where(char.IsLetterOrDigit)));

    public bool TryComplete(ReplyWaitOutcome outcome) => _completion.TrySetResult(outcome);
}
