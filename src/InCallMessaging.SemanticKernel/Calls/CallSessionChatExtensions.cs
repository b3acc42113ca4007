using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace InCallMessaging.SemanticKernel;

/// <summary>Puts a call's pending reply and status lines into a chat history, SK's or Microsoft.Extensions.AI's.</summary>
public static class CallSessionChatExtensions
{
    /// <summary>
    /// Adds the replies (and delivery-status lines) that arrived since the last call as <c>[SMS Reply]: ...</c> user
    /// messages. Call it at turn boundaries, before each LLM request and before the caller's latest words. When the
    /// history ends in a tool call whose results are not all there yet, nothing is added (a message between a tool call
    /// and its result breaks the next request) and the lines stay queued.
    /// </summary>
    /// <returns>How many lines were added.</returns>
    public static int ApplyPendingReplies(this CallSession session, ChatHistory history)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(history);
        if (!session.HasPendingReplies || !PendingTranscript.IsSafePoint(history))
        {
            return 0;
        }

        var lines = session.TakePendingLines();
        foreach (var line in lines)
        {
            history.AddUserMessage(line);
        }

        return lines.Length;
    }

    /// <summary>The same as <see cref="ApplyPendingReplies(CallSession, ChatHistory)"/> for a Microsoft.Extensions.AI message list.</summary>
    /// <returns>How many lines were added.</returns>
    public static int ApplyPendingReplies(this CallSession session, IList<AIChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(messages);
        if (!session.HasPendingReplies || !PendingTranscript.IsSafePoint(messages))
        {
            return 0;
        }

        var lines = session.TakePendingLines();
        foreach (var line in lines)
        {
            messages.Add(new AIChatMessage(AIChatRole.User, line));
        }

        return lines.Length;
    }
}
