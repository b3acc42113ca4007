namespace InCallMessaging.SemanticKernel.Replies;

/// <summary>
/// A reply waiting to be put into the call's chat history. It keeps only what the line needs and writes the line when
/// the history takes it: a caller's texts are held for a while on a busy host, so they are held small.
/// </summary>
internal readonly record struct PendingReplyLine(MessageChannel Channel, string Text, IReadOnlyList<InboundMedia> Media, bool IsStatus = false)
{
    /// <summary>The chat-history line: <c>[SMS Reply]: text</c> or <c>[WhatsApp Reply]: text</c>, with any attachments named.</summary>
    public override string ToString()
    {
        if (IsStatus)
        {
            return (Channel == MessageChannel.WhatsApp ? "[WhatsApp Status]: " : "[SMS Status]: ") + Text;
        }

        var label = Channel == MessageChannel.WhatsApp ? "[WhatsApp Reply]: " : "[SMS Reply]: ";
        if (Media.Count == 0)
        {
            return label + Text;
        }

        var media = string.Join(", ", Media.Select(m => m.ContentType));
        var attachment = $"(attached {Media.Count} file{(Media.Count == 1 ? "" : "s")}: {media})";
        return Text.Length == 0 ? label + attachment : $"{label}{Text} {attachment}";
    }
}
