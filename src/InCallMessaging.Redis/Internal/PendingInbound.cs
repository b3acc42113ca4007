using StackExchange.Redis;

namespace InCallMessaging.Redis.Internal;

/// <summary>
/// One inbound message waiting for its batch (<see cref="InboundBatcher"/>): its part of the batch script's keys and
/// arguments, and its caller's task, which completes with its own result, its own error, or its own cancellation.
/// </summary>
internal sealed class PendingInbound : TaskCompletionSource<bool>
{
    private readonly CancellationTokenRegistration _cancellation;

    /// <summary>Creates the waiter; cancelling <paramref name="cancellationToken"/> cancels this waiter alone.</summary>
    /// <param name="messageId">The message's id, for errors.</param>
    /// <param name="keys">Its five keys of <see cref="RedisScripts.RecordInbound"/>.</param>
    /// <param name="args">Its eight arguments of <see cref="RedisScripts.RecordInbound"/>.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    public PendingInbound(string messageId, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        MessageId = messageId;
        Keys = keys;
        Args = args;
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingInbound)state!).Cancel(token), this);
        }
    }

    /// <summary>The message's id, for errors.</summary>
    public string MessageId { get; }

    /// <summary>Its keys in the batch script.</summary>
    public RedisKey[] Keys { get; }

    /// <summary>Its arguments in the batch script.</summary>
    public RedisValue[] Args { get; }

    /// <summary>Whether its caller still waits (not cancelled, not yet answered).</summary>
    public bool IsWaiting => !Task.IsCompleted;

    /// <summary>Answers the caller: true for the first delivery, false for a redelivery.</summary>
    public void Complete(bool recorded)
    {
        TrySetResult(recorded);
        _cancellation.Dispose();
    }

    /// <summary>Fails the caller with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        TrySetException(error);
        _cancellation.Dispose();
    }

    private void Cancel(CancellationToken token) => TrySetCanceled(token);
}
