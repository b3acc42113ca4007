using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using AI = Microsoft.Extensions.AI;

namespace InCallMessaging.SemanticKernel.Tests.Core.Calls;

/// <summary>Reply lines are never put between a tool call and its result.</summary>
public sealed class ChatHistorySafetyTests
{
    /// <summary>A call with one queued "[SMS Reply]: ..." line.</summary>
    private static async Task<CallSession> SessionWithPendingReplyAsync()
    {
        var h = Harness.Start(TestRuntime.Summary());
        await h.SendSummaryAsync("Any questions?");
        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "Is parking free?");
        Assert.True(h.Session.HasPendingReplies);
        return h.Session;
    }

    private static ChatMessageContent AssistantCalling(params string[] callIds)
    {
        var message = new ChatMessageContent(AuthorRole.Assistant, content: null);
        foreach (var id in callIds)
        {
            message.Items.Add(new FunctionCallContent("send_summary", "messaging", id, new KernelArguments { ["message"] = "x" }));
        }

        return message;
    }

    private static ChatMessageContent ToolResult(string callId) =>
        new(AuthorRole.Tool, [new FunctionResultContent("send_summary", "messaging", callId, "{\"status\":\"sent\"}")]);

    [Fact]
    public async Task Nothing_is_added_while_the_history_ends_in_an_unanswered_tool_call()
    {
        var session = await SessionWithPendingReplyAsync();
        var history = new ChatHistory();
        history.AddUserMessage("Text me the summary.");
        history.Add(AssistantCalling("call_1"));

        Assert.Equal(0, session.ApplyPendingReplies(history));
        Assert.Equal(2, history.Count);
        Assert.True(session.HasPendingReplies);

        history.Add(ToolResult("call_1"));

        Assert.Equal(1, session.ApplyPendingReplies(history));
        Assert.Equal(4, history.Count);
        Assert.Equal("[SMS Reply]: Is parking free?", history[3].Content);
        Assert.False(session.HasPendingReplies);
    }

    [Fact]
    public async Task Nothing_is_added_while_one_of_several_parallel_tool_calls_is_unanswered()
    {
        var session = await SessionWithPendingReplyAsync();
        var history = new ChatHistory();
        history.Add(AssistantCalling("call_1", "call_2"));
        history.Add(ToolResult("call_2"));

        Assert.Equal(0, session.ApplyPendingReplies(history));

        history.Add(ToolResult("call_1"));

        Assert.Equal(1, session.ApplyPendingReplies(history));
    }

    [Fact]
    public async Task Lines_are_added_after_a_plain_assistant_message_or_to_an_empty_history()
    {
        var session = await SessionWithPendingReplyAsync();
        var history = new ChatHistory();
        history.AddAssistantMessage("Anything else?");

        Assert.Equal(1, session.ApplyPendingReplies(history));
        Assert.Equal(AuthorRole.User, history[^1].Role);
    }

    [Fact]
    public async Task Extensions_AI_list_waits_for_the_tool_result_too()
    {
        var session = await SessionWithPendingReplyAsync();
        List<AI.ChatMessage> messages =
        [
            new(AI.ChatRole.User, "Text me the summary."),
            new(AI.ChatRole.Assistant, [new AI.FunctionCallContent("call_1", "messaging_send_summary")]),
        ];

        Assert.Equal(0, session.ApplyPendingReplies(messages));
        Assert.Equal(2, messages.Count);

        messages.Add(new(AI.ChatRole.Tool, [new AI.FunctionResultContent("call_1", "{\"status\":\"sent\"}")]));

        Assert.Equal(1, session.ApplyPendingReplies(messages));
        Assert.Equal(AI.ChatRole.User, messages[^1].Role);
        Assert.Equal("[SMS Reply]: Is parking free?", messages[^1].Text);
        Assert.Equal(0, session.ApplyPendingReplies(messages));
    }

    [Fact]
    public async Task Extensions_AI_list_with_a_partially_answered_parallel_call_is_not_a_safe_point()
    {
        var session = await SessionWithPendingReplyAsync();
        List<AI.ChatMessage> messages =
        [
            new(AI.ChatRole.Assistant, [new AI.FunctionCallContent("a", "f"), new AI.FunctionCallContent("b", "f")]),
            new(AI.ChatRole.Tool, [new AI.FunctionResultContent("a", "ok")]),
        ];

        Assert.Equal(0, session.ApplyPendingReplies(messages));
    }

    [Fact]
    public async Task Several_replies_are_added_in_arrival_order()
    {
        var h = Harness.Start(TestRuntime.Summary());
        await h.SendSummaryAsync("Any questions?");
        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "first");
        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "second");
        var history = new ChatHistory();

        Assert.Equal(2, h.Session.ApplyPendingReplies(history));
        Assert.Equal(["[SMS Reply]: first", "[SMS Reply]: second"], history.Select(m => m.Content));
        Assert.Equal("second", h.Session.GetVariable("sms_reply"));
    }
}
