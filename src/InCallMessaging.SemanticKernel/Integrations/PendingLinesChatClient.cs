using Microsoft.Extensions.AI;

namespace InCallMessaging.SemanticKernel.Integrations;

/// <summary>
/// Sits next to the model, inside the function-invocation loop: before each request it adds the call's pending lines
/// (<c>[SMS Reply]: ...</c>) at the end of the messages when that is a safe point (after every tool result, never
/// between a tool call and its result). It remembers which message each line followed and puts the line back after
/// that message in every later request of the call, so the model keeps seeing it where it arrived while the caller's
/// own conversation (and the response's text, which a voice host speaks) never holds the caller's texts.
/// </summary>
internal sealed class PendingLinesChatClient(IChatClient innerClient, CallSession session) : DelegatingChatClient(innerClient)
{
    private readonly Lock _gate = new();
    private readonly List<(string Anchor, string Line)> _delivered = [];

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(WithCallLines(messages), options, cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(WithCallLines(messages), options, cancellationToken);

    /// <summary>The request: the caller's messages, the lines delivered earlier back after their messages, then the new ones.</summary>
    internal List<ChatMessage> WithCallLines(IEnumerable<ChatMessage> messages)
    {
        List<ChatMessage> request = [.. messages];
        lock (_gate)
        {
            RestoreDelivered(request);
            var anchor = request.Count == 0 ? "" : AnchorOf(request[^1]);
            var added = session.ApplyPendingReplies(request);
            for (var i = request.Count - added; i < request.Count; i++)
            {
                _delivered.Add((anchor, request[i].Text));
            }
        }

        return request;
    }

    private void RestoreDelivered(List<ChatMessage> request)
    {
        var i = 0;
        while (i < _delivered.Count)
        {
            var anchor = _delivered[i].Anchor;
            var end = i;
            while (end < _delivered.Count && _delivered[end].Anchor == anchor)
            {
                end++;
            }

            var at = anchor.Length == 0 ? 0 : request.FindLastIndex(m => AnchorOf(m) == anchor) + 1;
            if (anchor.Length == 0 || at > 0)
            {
                for (var k = i; k < end; k++, at++)
                {
                    var line = _delivered[k].Line;
                    if (at < request.Count && request[at].Role == ChatRole.User && request[at].Text == line)
                    {
                        continue;   // the caller's conversation holds it already
                    }

                    request.Insert(at, new ChatMessage(ChatRole.User, line));
                }
            }

            i = end;
        }
    }

    /// <summary>What identifies a message across requests: its role, its tool calls and results by id, and its text.</summary>
    private static string AnchorOf(ChatMessage message)
    {
        var key = new System.Text.StringBuilder(message.Role.Value).Append('|');
        foreach (var content in message.Contents)
        {
            _ = content switch
            {
                FunctionCallContent call => key.Append("call:").Append(call.CallId).Append('|'),
                FunctionResultContent result => key.Append("result:").Append(result.CallId).Append('|'),
                TextContent text => key.Append(text.Text).Append('|'),
                _ => key,
            };
        }

        return key.ToString();
    }
}
