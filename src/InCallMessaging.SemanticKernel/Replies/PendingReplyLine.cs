using System.Text;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A reply waiting to be put into the call's chat history. It keeps only what the line needs and writes the line when
/// the history takes it: a caller's texts are held for a while on a busy host, so they are held small.
/// </summary>
/// <param name="Channel">SMS or WhatsApp.</param>
/// <param name="Text">The sanitized reply text (empty for a media-only reply).</param>
/// <param name="Media">The sanitized attachments.</param>
/// <param name="IsStatus">A delivery-status line (<c>[SMS Status]: ...</c>): <paramref name="Text"/> is its sentence.</param>
internal readonly record struct PendingReplyLine(MessageChannel Channel, string Text, IReadOnlyList<InboundMedia> Media, bool IsStatus = false)
{
    /// <summary>The chat-history line without attachment URLs (see <see cref="ToString(bool)"/>).</summary>
    public override string ToString() => ToString(mediaUrls: false);

    /// <summary>
    /// The chat-history line: <c>[SMS Reply]: text</c> or <c>[WhatsApp Reply]: text</c>, each attachment after the text in
    /// its own brackets: <c>[image/jpeg attachment]</c>, or with <paramref name="mediaUrls"/>
    /// <c>[image/jpeg attachment: https://...]</c>.
    /// </summary>
    public string ToString(bool mediaUrls)
    {
        if (IsStatus)
        {
            return StatusLines.Label(Channel) + Text;
        }

        var label = ChannelNames.ReplyLabel(Channel);
        if (Media.Count == 0)
        {
            return label + Text;
        }

        var line = new StringBuilder(label, label.Length + Text.Length + (Media.Count * (mediaUrls ? 160 : 32)));
        line.Append(Text);
        for (var i = 0; i < Media.Count; i++)
        {
            if (line.Length > label.Length)
            {
                line.Append(' ');
            }

            line.Append('[').Append(Media[i].ContentType).Append(" attachment");
            if (mediaUrls)
            {
                line.Append(": ").Append(ReplyMedia.TranscriptUrl(Media[i].Url));
            }

            line.Append(']');
        }

        return line.ToString();
    }
}
