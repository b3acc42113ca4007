using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel.Tests.Calls;

/// <summary>Where the SK chat service of a call puts the lines that arrived: never inside an open tool call.</summary>
public sealed class PendingLinePlacementTests
{
    private const string Line = "[SMS Status]: the text from send_otp was not delivered.";

    private static CallSession SessionWithALine()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var session = runtime.Calls.StartCall("CA00000000000000000000000000000171", TestRuntime.Caller, TestRuntime.Agent);
        session.QueueStatusLine(MessageChannel.Sms, "failed", Line["[SMS Status]: ".Length..]);
        return session;
    }

    private static ChatMessageContent ToolCall(string id) =>
        new(AuthorRole.Assistant, [new FunctionCallContent("send_otp", "messaging", id)]);

    private static ChatMessageContent ToolResult(string id) =>
        new FunctionResultContent("send_otp", "messaging", id, "{\"status\":\"sent\"}").ToChatMessage();

    [Fact]
    public void A_line_goes_before_the_callers_latest_words()
    {
        var session = SessionWithALine();
        var history = new ChatHistory("system");
        history.AddAssistantMessage("How can I help?");
        history.AddUserMessage("Did my text arrive?");

        Assert.Equal(1, PendingLinePlacement.Apply(session, history));

        Assert.Equal([Line, "Did my text arrive?"], history.Skip(2).Select(m => m.Content));
        Assert.False(session.HasPendingReplies);
    }

    [Fact]
    public void A_line_goes_after_the_last_tool_result_once_every_call_is_answered()
    {
        var session = SessionWithALine();
        var history = new ChatHistory();
        history.AddUserMessage("Text me.");
        history.Add(ToolCall("call_1"));
        history.Add(ToolResult("call_1"));

        Assert.Equal(1, PendingLinePlacement.Apply(session, history));

        Assert.Equal(Line, history[^1].Content);
        Assert.Equal(AuthorRole.User, history[^1].Role);
    }

    [Fact]
    public void No_line_goes_between_a_tool_call_and_its_result_and_it_stays_queued()
    {
        var session = SessionWithALine();
        var history = new ChatHistory();
        history.AddUserMessage("Text me twice.");
        history.Add(new ChatMessageContent(AuthorRole.Assistant,
            [new FunctionCallContent("send_otp", "messaging", "call_1"), new FunctionCallContent("send_otp", "messaging", "call_2")]));
        history.Add(ToolResult("call_1"));

        Assert.Equal(0, PendingLinePlacement.Apply(session, history));

        Assert.Equal(3, history.Count);
        Assert.True(session.HasPendingReplies);
        history.Add(ToolResult("call_2"));
        Assert.Equal(1, PendingLinePlacement.Apply(session, history));
        Assert.Equal(Line, history[^1].Content);
    }
}
