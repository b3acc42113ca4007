
namespace InCallMessaging.SemanticKernel;

/// <summary>
/// One call's messages, sent and received, in the order they were recorded. Received ones are bounded (the newest are
/// kept) and held as small values. Not thread-safe: the <see cref="CallSession"/> that owns it holds its lock.
/// </summary>
internal sealed class CallMessageLog
{
    private readonly List<CallMessage> _sent = [];
    private readonly Queue<ReceivedMessage> _received = new();
    private long _sequence;
    private int _repliesReceived;

    /// <summary>Every reply received, including those no longer kept.</summary>
    public int RepliesReceived => Volatile.Read(ref _repliesReceived);

    public int Count => _sent.Count + _received.Count;

    public void RecordOutbound(CallMessage message)
    {
        message.Sequence = _sequence++;
        _sent.Add(message);
    }

    public void RecordReceived(InboundMessage reply, string senderName, string caller, string text, DateTimeOffset now, int maxReceived)
    {
        if (_received.Count == maxReceived)
        {
            _received.Dequeue();
        }

        Interlocked.Increment(ref _repliesReceived);
        _received.Enqueue(new ReceivedMessage(PackedMessageId.From(reply.MessageId), reply.Channel, senderName, caller, text, now,
            _sequence++, reply.Media));
    }

    /// <summary>The sent message with this id, or with this client reference (a send whose answer never came).</summary>
    public CallMessage? FindSent(string messageId, string? clientReference)
    {
        // Only sent messages get status callbacks.
        for (var i = _sent.Count - 1; i >= 0; i--)
        {
            if (_sent[i].MessageId == messageId || (clientReference is not null && _sent[i].ClientReference == clientReference))
            {
                return _sent[i];
            }
        }

        return null;
    }

    /// <summary>Sent and received messages in the order they were recorded.</summary>
    public CallMessage[] Snapshot()
    {
        var all = new CallMessage[_sent.Count + _received.Count];
        _sent.CopyTo(all);
        var next = _sent.Count;
        foreach (var message in _received)
        {
            all[next++] = message.ToCallMessage();
        }

        Array.Sort(all, static (left, right) => left.Sequence.CompareTo(right.Sequence));
        return all;
    }

    /// <summary>
    /// A received message as the call keeps it: a value in the call's queue, whose only object of its own is the text
    /// (its id is packed; a reply without attachments shares the one empty media list), so a flood of replies leaves
    /// little for the garbage collector to move. <see cref="CallSession.Messages"/> turns it into a <see cref="CallMessage"/>.
    /// </summary>
    private readonly record struct ReceivedMessage(PackedMessageId Id, MessageChannel Channel, string SenderName, string Caller,
        string Text, DateTimeOffset ReceivedAt, long Sequence, IReadOnlyList<InboundMedia> Media)
    {
        public CallMessage ToCallMessage() =>
            new(MessageDirection.Inbound, Channel, Id.ToString(), SenderName, Caller, Text, ReceivedAt, actionName: null, status: "received", Media)
            {
                Sequence = Sequence,
            };
    }
}
