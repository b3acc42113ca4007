using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel.Replies;

namespace VoiceBotHost.ConversationRelay;

/// <summary>The calls connected to this host right now.</summary>
public sealed class ActiveRelays
{
    private readonly ConcurrentDictionary<RelaySession, byte> _sessions = new();

    public int Count => _sessions.Count;

    public void Add(RelaySession session) => _sessions.TryAdd(session, 0);

    public void Remove(RelaySession session) => _sessions.TryRemove(session, out _);

    public void OnReplyDelivered()
    {
        foreach (var session in _sessions.Keys)
        {
            session.OnReplyDelivered();
        }
    }
}

/// <summary>
/// The plugin's reply hub with one addition: when a text reaches a call whose line is quiet (no turn running, nobody
/// waiting for it), the agent gets a turn to react instead of leaving the reply until the caller speaks again.
/// </summary>
public sealed class ReplyNudgingHub(IReplyHub inner, ActiveRelays relays) : IReplyHub
{
    public IReadOnlyList<InboundMessage> UnmatchedReplies => inner.UnmatchedReplies;

    public async ValueTask<ReplyDeliveryOutcome> DeliverAsync(InboundMessage message, CancellationToken cancellationToken = default)
    {
        var outcome = await inner.DeliverAsync(message, cancellationToken);
        if (outcome == ReplyDeliveryOutcome.DeliveredToCall)
        {
            relays.OnReplyDelivered();
        }

        return outcome;
    }

    public ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default) =>
        inner.ApplyStatusAsync(update, cancellationToken);
}
