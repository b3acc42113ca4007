namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The durable log of every message of every call: what went out, what came back, and each delivery status. Live
/// calls keep their own in-memory view (<see cref="CallSession.Messages"/>); this log outlives the process, so a status
/// callback, a redelivered webhook or a late reply after a restart still finds what it belongs to.
/// </summary>
/// <remarks>
/// Implementations: the in-memory default (bounded, lost on restart), SQLite and Redis. Every implementation passes the
/// same contract test suite. Inbound messages are logged before they are delivered, and <see cref="TryAddAsync"/>'s
/// answer is how a redelivery is recognized.
/// </remarks>
public interface IMessageLog
{
    /// <summary>Logs a message unless one with the same <see cref="LoggedMessage.MessageId"/> and direction is logged.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> when it was added; <see langword="false"/> when it was already there (a redelivery).</returns>
    ValueTask<bool> TryAddAsync(LoggedMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a delivery status to an outbound message's history and makes it the latest. The message is found by
    /// <paramref name="messageId"/>, else by <paramref name="clientReference"/> (a send whose answer never came), in which
    /// case it takes <paramref name="messageId"/> as its id from now on.
    /// </summary>
    /// <param name="messageId">The provider's message id.</param>
    /// <param name="clientReference">The send's own reference, when the provider echoed it; may be <see langword="null"/>.</param>
    /// <param name="status">The status.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> when the message was found and updated.</returns>
    ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default);

    /// <summary>The outbound message with this provider id (or, failing that, the inbound one); <see langword="null"/> when none.</summary>
    /// <param name="messageId">The provider's message id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>Every message of a call, oldest first.</summary>
    /// <param name="callId">The call's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The newest outbound message of any call to this caller on this channel from this sending identity, sent at or
    /// after <paramref name="since"/>: how a reply finds the call it answers when that call is no longer in memory.
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="callerKey">The caller's key (<see cref="CallerKeys.Of"/>).</param>
    /// <param name="senderIdentity">The sending number (E.164) or service id.</param>
    /// <param name="since">The oldest send to consider.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default);

    /// <summary>Erases every message to or from a caller (a GDPR erasure request). Consent records are kept.</summary>
    /// <param name="callerKey">The caller's key.</param>
    /// <param name="cancellationToken">Cancels the erasure.</param>
    /// <returns>How many messages were erased.</returns>
    ValueTask<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken = default);

    /// <summary>Deletes the messages logged before <paramref name="cutoff"/> (the retention job).</summary>
    /// <param name="cutoff">Messages created before this time are deleted.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns>How many messages were deleted.</returns>
    ValueTask<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}
