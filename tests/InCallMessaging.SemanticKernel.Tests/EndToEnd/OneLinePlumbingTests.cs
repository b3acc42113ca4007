using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using InCallMessaging.Testing;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace InCallMessaging.SemanticKernel.Tests.EndToEnd;

/// <summary>
/// The one-line plumbing (issue 17, point 3) through real clients against the scripted OpenAI-compatible server, which
/// rejects a message put between a tool call and its result: SK's <c>kernel.UseInCallMessaging(session)</c>,
/// Microsoft.Extensions.AI's <c>UseInCallMessaging(session)</c>, and the Microsoft Agent Framework's ChatClientAgent.
/// </summary>
public sealed class OneLinePlumbingTests : IAsyncLifetime
{
    private const string CallId = "CA00000000000000000000000000000017";
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    private IChatClient OpenAIChatClient() =>
        new OpenAI.Chat.ChatClient("test", new System.ClientModel.ApiKeyCredential("test"), new OpenAI.OpenAIClientOptions { Endpoint = _llm.Endpoint })
            .AsIChatClient();

    private static List<(string Role, string Content)> Messages(JsonObject request) =>
        [.. ScriptedOpenAIServer.MessagesOf(request).Select(m => ((string)m!["role"]!, m["content"]?.ToString() ?? ""))];

    [Fact]
    public async Task Sk_chat_service_offers_the_call_actions_and_puts_a_reply_before_the_callers_next_words()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(modelId: "test", endpoint: _llm.Endpoint, apiKey: "test");
        var kernel = builder.Build();       // no plugin added: the call's chat service brings the call's actions
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(ScriptedTurn.Text("I've texted you a code."))
            .Then(ScriptedTurn.Text("Thanks, that matches."));
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        var chat = kernel.UseInCallMessaging(session);
        var history = new ChatHistory("You are a voice agent.");
        history.AddUserMessage("Text me a code please.");
        await chat.GetChatMessageContentAsync(history, settings);
        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        Assert.Equal("Your code is 482913. It expires in 10 minutes.", sent.Message.Body);
        await runtime.Loopback.ReplyAsync(sent, "482913");
        history.AddUserMessage("I texted it back.");
        var answer = await chat.GetChatMessageContentAsync(history, settings);

        Assert.Equal("Thanks, that matches.", answer.Content);
        var last = Messages(_llm.Requests[^1]);
        Assert.Equal(("user", "[SMS Reply]: 482913"), last[^2]);
        Assert.Equal(("user", "I texted it back."), last[^1]);
        Assert.Equal(1, last.Count(m => m.Content.Contains("[SMS Reply]", StringComparison.Ordinal)));
        Assert.False(session.HasPendingReplies);
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Chat_client_offers_the_call_tools_and_adds_the_reply_after_the_tool_result_of_a_waiting_action()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(wait: true)));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        using var client = OpenAIChatClient().AsBuilder().UseInCallMessaging(session).Build();
        _llm.Then(ScriptedTurn.Call("messaging_send_otp", new { otp_code = "246810" }))
            .Then(ScriptedTurn.Text("Verified, thank you."));
        List<AIChatMessage> conversation = [new(AIChatRole.User, "Verify me please.")];

        var turn = client.GetResponseAsync(conversation);
        var sent = await runtime.Loopback!.WaitForMessageAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, await runtime.Loopback.ReplyAsync(sent, "246810"));
        var response = await turn.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Verified, thank you.", response.Text);
        var tools = ScriptedOpenAIServer.ToolsOf(_llm.Requests[0])!.Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Equal(["messaging_send_otp"], tools);
        var second = Messages(_llm.Requests[1]);
        Assert.Equal("tool", second[^2].Role);
        // Under Microsoft.Extensions.AI the function's JSON result travels as a JSON string.
        var result = JsonNode.Parse(JsonNode.Parse(second[^2].Content)!.GetValue<string>())!;
        Assert.Equal("replied", (string?)result["status"]);
        Assert.Equal("246810", (string?)result["reply"]);
        Assert.Equal(("user", "[SMS Reply]: 246810"), second[^1]);
        // The caller's texts stay out of the response (a voice host speaks its text).
        Assert.DoesNotContain(response.Messages, m => m.Text.Contains("246810", StringComparison.Ordinal) && m.Role != AIChatRole.Tool);
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Streaming_chat_client_carries_a_reply_that_arrived_between_turns_and_streams_only_the_answer()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        using var client = OpenAIChatClient().AsBuilder().UseInCallMessaging(session).Build();
        _llm.Then(ScriptedTurn.Call("messaging_send_otp", new { otp_code = "975310" }))
            .Then(ScriptedTurn.Text("Code sent."))
            .Then(ScriptedTurn.Text("Got it, thanks."));
        List<AIChatMessage> conversation = [new(AIChatRole.User, "Text me a code.")];

        List<ChatResponseUpdate> firstTurn = [];
        await foreach (var update in client.GetStreamingResponseAsync(conversation))
        {
            firstTurn.Add(update);
        }

        conversation.AddMessages(firstTurn);
        await runtime.Loopback!.ReplyAsync(Assert.Single(runtime.Loopback.SentMessages), "975310");
        conversation.Add(new(AIChatRole.User, "I replied."));
        List<ChatResponseUpdate> secondTurn = [];
        await foreach (var update in client.GetStreamingResponseAsync(conversation))
        {
            secondTurn.Add(update);
        }

        Assert.Equal("Got it, thanks.", string.Concat(secondTurn.Select(u => u.Text)));
        Assert.DoesNotContain(secondTurn, u => u.Role == AIChatRole.User);
        Assert.Equal([("user", "I replied."), ("user", "[SMS Reply]: 975310")], Messages(_llm.Requests[2])[^2..]);
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Chat_client_adds_the_call_tools_beside_the_callers_own()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        session.Actions = runtime.Actions.Where(action => action.Name == "send_summary");
        using var client = OpenAIChatClient().AsBuilder().UseInCallMessaging(session).Build();
        var weather = AIFunctionFactory.Create(() => "sunny", "get_weather", "Gets the weather.");
        _llm.Then(ScriptedTurn.Text("Hello."));

        await client.GetResponseAsync([new AIChatMessage(AIChatRole.User, "Hi")], new ChatOptions { Tools = [weather] });

        var tools = ScriptedOpenAIServer.ToolsOf(_llm.Requests[0])!.Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Equal(["get_weather", "messaging_send_summary"], tools);
    }

    [Fact]
    public async Task Agent_framework_chat_client_agent_texts_the_caller_and_its_next_request_carries_the_reply()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var session = runtime.Calls.StartCall(CallId, TestRuntime.Caller, TestRuntime.Agent);
        var agent = new ChatClientAgent(OpenAIChatClient().AsBuilder().UseInCallMessaging(session).Build(),
            instructions: "You are a voice agent who can text the caller.");
        var conversation = await agent.CreateSessionAsync();
        _llm.Then(ScriptedTurn.Call("messaging_send_otp", new { otp_code = "135790" }))
            .Then(ScriptedTurn.Text("I've texted you a code; read it back when it arrives."))
            .Then(ScriptedTurn.Text("That's the right code."))
            .Then(ScriptedTurn.Text("Anything else?"));

        var first = await agent.RunAsync("Please text me a code.", conversation);
        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        Assert.Equal("Your code is 135790. It expires in 10 minutes.", sent.Message.Body);
        Assert.Equal(TestRuntime.Caller, sent.Message.To);
        Assert.Equal("I've texted you a code; read it back when it arrives.", first.Text);
        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, await runtime.Loopback.ReplyAsync(sent, "135790"));
        var second = await agent.RunAsync("Did you get my text?", conversation);
        await agent.RunAsync("No, that's all.", conversation);

        Assert.Equal("That's the right code.", second.Text);
        var afterReply = Messages(_llm.Requests[2]);
        Assert.Equal(("user", "Did you get my text?"), afterReply[^2]);
        Assert.Equal(("user", "[SMS Reply]: 135790"), afterReply[^1]);
        // The agent's conversation keeps the line: the following request still carries it, once.
        var later = Messages(_llm.Requests[3]);
        Assert.Equal(1, later.Count(m => m == ("user", "[SMS Reply]: 135790")));
        Assert.Equal(("user", "No, that's all."), later[^1]);
        Assert.Empty(_llm.Rejections);
    }
}
