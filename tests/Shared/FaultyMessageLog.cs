using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Testing;

/// <summary>
/// An in-memory message log whose writes can be switched to fail as a broken store's do (a full disk), to see that
/// nothing is answered 200 and dropped, and that the retry goes through once the store is back.
/// </summary>
public sealed class FaultyMessageLog : IMessageLog
{
    private readonly InMemoryMessageLog _inner = new();
    private volatile bool _broken;

    /// <summary>Whether writes fail with a <see cref="StateStoreException"/>.</summary>
    public bool Broken
    {
        get => _broken;
        set => _broken = value;
    }

    private void ThrowIfBroken()
    {
        if (_broken)
        {
            throw new StateStoreException("Test log", "the disk is full; free some space.");
        }
    }

    public ValueTask<bool> TryAddAsync(LoggedMessage message, CancellationToken cancellationToken = default)
    {
        ThrowIfBroken();
        return _inner.TryAddAsync(message, cancellationToken);
    }

    public ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default)
    {
        ThrowIfBroken();
        return _inner.AddStatusAsync(messageId, clientReference, status, cancellationToken);
    }

    public ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default) => _inner.FindAsync(messageId, cancellationToken);

    public ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default) => _inner.GetCallAsync(callId, cancellationToken);

    public ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default) => _inner.FindLatestOutboundAsync(channel, callerKey, senderIdentity, since, cancellationToken);

    public ValueTask<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken = default) => _inner.ForgetCallerAsync(callerKey, cancellationToken);

    public ValueTask<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) => _inner.DeleteOlderThanAsync(cutoff, cancellationToken);
}
