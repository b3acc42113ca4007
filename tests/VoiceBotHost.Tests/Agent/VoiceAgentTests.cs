using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using VoiceBotHost.Agent;

namespace VoiceBotHost.Tests.Agent;

public sealed class VoiceAgentTests
{
    [Fact]
    public void An_interrupted_turn_leaves_no_tool_call_without_a_result()
    {
        var history = new ChatHistory("system");
        history.AddUserMessage("text me a code");
        var call = new FunctionCallContent("send_otp", "messaging", "call_1");
        var open = new FunctionCallContent("send_summary", "messaging", "call_2");
        history.Add(new ChatMessageContent(AuthorRole.Assistant, [call, open]));
        history.Add(new FunctionResultContent(call, "{\"status\":\"sent\"}").ToChatMessage());

        VoiceAgent.CloseOpenToolCalls(history, "interrupted");

        Assert.Equal(5, history.Count);
        var closing = Assert.IsType<FunctionResultContent>(Assert.Single(history[^1].Items));
        Assert.Equal("call_2", closing.CallId);
        Assert.Equal("interrupted", closing.Result);
    }

    [Fact]
    public void A_complete_history_is_left_alone()
    {
        var history = new ChatHistory("system");
        history.AddUserMessage("hi");
        history.AddAssistantMessage("hello");

        VoiceAgent.CloseOpenToolCalls(history, "interrupted");

        Assert.Equal(3, history.Count);
    }
}
