namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Where after-call texts wait for their call to end (<see cref="ActionTiming.AfterCall"/>). A durable store (SQLite)
/// keeps them across a restart, so a text scheduled by a call whose process died is sent by the next process.
/// </summary>
/// <remarks>
/// A message is sent at most once: the sender takes it (<see cref="TryTakeAsync"/>, which removes it) before it sends,
/// so a send whose outcome is unknown, or a process that dies mid-send, never sends it again. When the registered
/// <see cref="IMessageLog"/> also implements this interface (the SQLite store does), it is the one used; otherwise
/// scheduled texts are kept in memory.
/// </remarks>
public interface IScheduledMessageStore
{
    /// <summary>Keeps a scheduled message; completes once it is durable.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask AddAsync(ScheduledMessage message, CancellationToken cancellationToken = default);

    /// <summary>The messages not yet taken, oldest first: of one call, or of every call when <paramref name="callId"/> is <see langword="null"/>.</summary>
    /// <param name="callId">The call, or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<ScheduledMessage>> GetPendingAsync(string? callId, CancellationToken cancellationToken = default);

    /// <summary>Removes a message to send it: <see langword="true"/> for exactly one caller, however many try.</summary>
    /// <param name="id">The message's <see cref="ScheduledMessage.Id"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> when this caller took it and must send it; <see langword="false"/> when it was gone.</returns>
    ValueTask<bool> TryTakeAsync(string id, CancellationToken cancellationToken = default);
}
