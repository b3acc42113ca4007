using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;
using AIFunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using AIFunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The lines (<c>[SMS Reply]: ...</c>, <c>[SMS Status]: ...</c>) waiting to enter one call's chat history, bounded
/// (the oldest are dropped), and the rule for when they may: never between a tool call and its result. Not
/// thread-safe: the <see cref="CallSession"/> that owns it holds its lock.
/// </summary>
internal sealed class PendingTranscript
{
    private readonly Queue<PendingReplyLine> _lines = new();
    private int _droppedReported;

    public int Count => _lines.Count;

    /// <summary>Queues a line; returns how many older lines were dropped to stay within <paramref name="maxLines"/>.</summary>
    public int Enqueue(PendingReplyLine line, int maxLines)
    {
        _lines.Enqueue(line);
        var dropped = 0;
        while (_lines.Count > maxLines)
        {
            _lines.Dequeue();
            dropped++;
        }

        return dropped;
    }

    /// <summary>Takes every queued line, oldest first; dropped lines are reported again from now on.</summary>
    public PendingReplyLine[] TakeAll()
    {
        PendingReplyLine[] lines = [.. _lines];
        _lines.Clear();
        Volatile.Write(ref _droppedReported, 0);
        return lines;
    }

    /// <summary>Whether dropped lines should be reported now: once until the chat history takes the queue again.</summary>
    public bool ShouldReportDropped() => Interlocked.Exchange(ref _droppedReported, 1) == 0;

    /// <summary>Whether lines may be added now: the history does not end in a tool call whose results are not all there.</summary>
    public static bool IsSafePoint(ChatHistory history)
    {
        HashSet<string>? answered = null;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var message = history[i];
            var calls = message.Items.OfType<FunctionCallContent>();
            if (message.Role == AuthorRole.Tool)
            {
                foreach (var result in message.Items.OfType<FunctionResultContent>())
                {
                    (answered ??= new(StringComparer.Ordinal)).Add(result.CallId ?? "");
                }

                continue;
            }

            return calls.All(call => answered?.Contains(call.Id ?? "") == true);
        }

        return true;
    }

    /// <summary>The same for a Microsoft.Extensions.AI message list.</summary>
    public static bool IsSafePoint(IList<AIChatMessage> messages)
    {
        HashSet<string>? answered = null;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            var message = messages[i];
            if (message.Role == AIChatRole.Tool)
            {
                foreach (var result in message.Contents.OfType<AIFunctionResultContent>())
                {
                    (answered ??= new(StringComparer.Ordinal)).Add(result.CallId);
                }

                continue;
            }

            return message.Contents.OfType<AIFunctionCallContent>().All(call => answered?.Contains(call.CallId) == true);
        }

        return true;
    }
}
