
namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The actions of one call waiting for the caller's reply, oldest first, and how a reply finds its wait: the message it
/// answers when the provider names it, else the first wait on the same channel and sender. Not thread-safe: the
/// <see cref="CallSession"/> that owns it holds its lock.
/// </summary>
internal sealed class ReplyWaits
{
    private readonly List<ReplyWait> _waits = [];

    /// <summary>Whether an action has sent its message and is now waiting (a wait that just ended counts no more, even before it is removed).</summary>
    public bool AnyArmed => _waits.Exists(w => w.IsArmed && !w.Task.IsCompleted);

    /// <summary>The oldest armed wait that the caller's spoken or keyed words answer: one its action still awaits first.</summary>
    public ReplyWait? AnsweredBy(string words) =>
        _waits.Find(w => w.IsArmed && !w.Detached && w.Accepts(words)) ?? _waits.Find(w => w.IsArmed && w.Detached && w.Accepts(words));

    /// <summary>The oldest armed wait whose action still awaits it.</summary>
    public ReplyWait? OldestAttached => _waits.Find(w => w.IsArmed && !w.Detached);

    public ReplyWait[] All() => [.. _waits];

    public void Add(ReplyWait wait) => _waits.Add(wait);

    public bool Remove(ReplyWait wait) => _waits.Remove(wait);

    public ReplyWait? ForMessage(string messageId) => _waits.Find(w => w.MessageId == messageId);

    public ReplyWait? For(InboundMessage reply, string senderName)
    {
        if (reply.InReplyToMessageId is { } repliedTo && ForMessage(repliedTo) is { } exact)
        {
            return exact;
        }

        // A wait that has just ended (a background one still finishing) takes no second reply.
        return _waits.Find(w => !w.Task.IsCompleted && w.Channel == reply.Channel && string.Equals(w.SenderName, senderName, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A wait on a message that was replaced (a WhatsApp template sent for a refused free-form text) waits on the replacement.</summary>
    public void Retarget(string messageId, string replacementId)
    {
        foreach (var wait in _waits)
        {
            if (wait.MessageId == messageId)
            {
                wait.MessageId = replacementId;
            }
        }
    }
}
