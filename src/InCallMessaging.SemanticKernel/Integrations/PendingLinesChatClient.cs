using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace InCallMessaging.SemanticKernel.Integrations;

/// <summary>
/// Sits next to the model, inside the function-invocation loop: before each request it adds the call's pending lines
/// (<c>[SMS Reply]: ...</c>) at the end of the messages when that is a safe point (after every tool result, never
/// between a tool call and its result), and hands the same lines back at the head of the response, so the function
/// loop's history and the caller's conversation keep them where the model saw them.
/// </summary>
internal sealed class PendingLinesChatClient(IChatClient innerClient, CallSession session) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (request, lines) = WithPendingLines(messages);
        var response = await base.GetResponseAsync(request, options, cancellationToken).ConfigureAwait(false);
        if (lines.Length > 0)
        {
            response.Messages = [.. lines, .. response.Messages];
        }

        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (request, lines) = WithPendingLines(messages);
        foreach (var line in lines)
        {
            // Each line is its own user message in the streamed response (a speaking host says assistant text only).
            yield return new ChatResponseUpdate(ChatRole.User, line.Contents) { MessageId = line.MessageId };
        }

        await foreach (var update in base.GetStreamingResponseAsync(request, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    private (List<ChatMessage> Request, ChatMessage[] Lines) WithPendingLines(IEnumerable<ChatMessage> messages)
    {
        List<ChatMessage> request = [.. messages];
        var added = session.ApplyPendingReplies(request);
        if (added == 0)
        {
            return (request, []);
        }

        var lines = request.GetRange(request.Count - added, added).ToArray();
        foreach (var line in lines)
        {
            line.MessageId ??= Guid.NewGuid().ToString("N");
        }

        return (request, lines);
    }
}
