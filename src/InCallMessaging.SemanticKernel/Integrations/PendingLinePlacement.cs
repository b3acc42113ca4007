using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Where a call's pending lines go in an SK chat history: just before the caller's latest words when the history ends
/// with them (the texts arrived first), else at the end; never after a tool call whose results are not all there.
/// </summary>
internal static class PendingLinePlacement
{
    /// <returns>How many lines were added.</returns>
    public static int Apply(CallSession session, ChatHistory history)
    {
        if (!session.HasPendingReplies)
        {
            return 0;
        }

        var count = history.Count;
        var index = count > 0 && history[count - 1].Role == AuthorRole.User && IsSafePoint(history, count - 1) ? count - 1
            : IsSafePoint(history, count) ? count
            : -1;
        if (index < 0)
        {
            return 0;
        }

        var lines = session.TakePendingLines();
        for (var i = 0; i < lines.Length; i++)
        {
            history.Insert(index + i, new ChatMessageContent(AuthorRole.User, lines[i]));
        }

        return lines.Length;
    }

    /// <summary>Whether the first <paramref name="end"/> messages do not end in a tool call whose results are not all there.</summary>
    private static bool IsSafePoint(ChatHistory history, int end)
    {
        HashSet<string>? answered = null;
        for (var i = end - 1; i >= 0; i--)
        {
            var message = history[i];
            if (message.Role == AuthorRole.Tool)
            {
                foreach (var result in message.Items.OfType<FunctionResultContent>())
                {
                    (answered ??= new(StringComparer.Ordinal)).Add(result.CallId ?? "");
                }

                continue;
            }

            return message.Items.OfType<FunctionCallContent>().All(call => answered?.Contains(call.Id ?? "") == true);
        }

        return true;
    }
}
