using System.Text.Json;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using InCallMessaging.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace InCallMessaging.SemanticKernel.Tests.EndToEnd;

/// <summary>
/// The plugin through SK's real OpenAI connector and auto function calling, against a scripted OpenAI-compatible
/// server on 127.0.0.1 that rejects histories OpenAI would reject.
/// </summary>
public sealed class OpenAIConnectorTests : IAsyncLifetime
{
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    private (Kernel Kernel, CallSession Session, InCallMessagingRuntime Runtime, RecordingSpeech Speech) Start(InCallMessagingRuntime runtime)
    {
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(modelId: "test", endpoint: _llm.Endpoint, apiKey: "test");
        builder.Plugins.Add(runtime.Plugin);
        var session = runtime.Calls.StartCall("CA00000000000000000000000000000001", TestRuntime.Caller, TestRuntime.Agent);
        var speech = new RecordingSpeech();
        session.Speech = speech;
        return (builder.Build().WithCallSession(session), session, runtime, speech);
    }

    private static Task<ChatMessageContent> TurnAsync(Kernel kernel, CallSession session, ChatHistory history, string said)
    {
        history.AddUserMessage(said);
        session.ApplyPendingReplies(history);
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        return kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, settings, kernel);
    }

    [Fact]
    public async Task Otp_template_with_a_parameter_is_sent_to_the_caller()
    {
        var (kernel, session, runtime, speech) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp())));
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(request => ScriptedTurn.Text("I've sent the code."));

        var answer = await TurnAsync(kernel, session, [], "Please text me my code.");

        Assert.Equal("I've sent the code.", answer.Content);
        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        Assert.Equal("Your code is 482913. It expires in 10 minutes.", sent.Message.Body);
        Assert.Equal(TestRuntime.Caller, sent.Message.To);
        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[^1])!)!;
        Assert.Equal("sent", (string?)result["status"]);
        Assert.Equal(sent.MessageId, (string?)result["message_id"]);
        Assert.DoesNotContain("4155550100", (string?)result["to"], StringComparison.Ordinal);
        Assert.Equal(["I'm texting you a code now."], speech.Lines);
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Agent_composed_text_goes_through_the_auto_injected_message_parameter()
    {
        var (kernel, session, runtime, _) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary())));
        _llm.Then(ScriptedTurn.Call("messaging-send_summary", new { message = "Appointment: Tue 3pm, Dr Lee." }))
            .Then(ScriptedTurn.Text("Done, I texted you the summary."));

        await TurnAsync(kernel, session, [], "Can you text me that?");

        var tools = ScriptedOpenAIServer.ToolsOf(_llm.Requests[0])!;
        var summary = tools.Single(t => (string?)t!["function"]!["name"] == "messaging-send_summary")!["function"]!;
        Assert.Equal("Text the caller a summary of what was agreed on the call.", (string?)summary["description"]);
        Assert.NotNull(summary["parameters"]!["properties"]!["message"]!["description"]);
        Assert.Contains("message", summary["parameters"]!["required"]!.AsArray().Select(n => (string?)n));
        var otp = tools.Single(t => (string?)t!["function"]!["name"] == "messaging-send_otp")!["function"]!;
        Assert.Equal("The 6-digit code to send.", (string?)otp["parameters"]!["properties"]!["otp_code"]!["description"]);
        Assert.Null(otp["parameters"]!["properties"]!["message"]);
        Assert.Equal("Appointment: Tue 3pm, Dr Lee.", Assert.Single(runtime.Loopback!.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Waiting_action_returns_the_reply_texted_back_through_the_hub()
    {
        var (kernel, session, runtime, _) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(wait: true))));
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(ScriptedTurn.Text("Thanks, verified."));

        var turn = TurnAsync(kernel, session, [], "Verify me please.");
        var sent = await runtime.Loopback!.WaitForMessageAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ReplyDeliveryOutcome.DeliveredToCall, await runtime.Loopback.ReplyAsync(sent, "482913"));
        await turn.WaitAsync(TimeSpan.FromSeconds(10));

        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[^1])!)!;
        Assert.Equal("replied", (string?)result["status"]);
        Assert.Equal("482913", (string?)result["reply"]);
        Assert.Equal("482913", session.GetVariable("sms_reply"));
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Wait_that_times_out_speaks_the_fallback_and_tells_the_llm()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var (kernel, session, runtime, speech) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(wait: true)), time));
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(ScriptedTurn.Text("No worries, let's continue."));

        var turn = TurnAsync(kernel, session, [], "Verify me please.");
        await runtime.Loopback!.WaitForMessageAsync().WaitAsync(TimeSpan.FromSeconds(10));
        while (!session.IsWaitingForReply)
        {
            await Task.Yield();
        }

        time.Advance(TimeSpan.FromSeconds(31));
        await turn.WaitAsync(TimeSpan.FromSeconds(10));

        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[^1])!)!;
        Assert.Equal("no_reply", (string?)result["status"]);
        Assert.Equal("timeout", (string?)result["reason"]);
        Assert.Equal(["I'm texting you a code now.", InCallMessageAction.DefaultFallbackMessage], speech.Lines);
        Assert.Null(session.GetVariable("sms_reply"));
    }

    [Fact]
    public async Task Late_reply_appears_as_an_sms_reply_line_in_the_next_request()
    {
        var (kernel, session, runtime, _) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp())));
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(ScriptedTurn.Text("Sent."))
            .Then(ScriptedTurn.Text("I see your reply."));
        var history = new ChatHistory("You are a helpful voice agent.");

        await TurnAsync(kernel, session, history, "Text me a code.");
        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        await runtime.Loopback.ReplyAsync(sent, "got it, thanks");
        await TurnAsync(kernel, session, history, "Did you get my text?");

        var last = ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1]);
        var replyLines = last.Where(m => m!["content"]?.ToString() == "[SMS Reply]: got it, thanks").ToList();
        Assert.Single(replyLines);
        Assert.Equal("user", (string?)replyLines[0]!["role"]);
        Assert.Equal("got it, thanks", session.CreateKernelArguments()["sms_reply"]);
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Reply_arriving_mid_loop_is_not_inserted_between_a_tool_call_and_its_result()
    {
        var (kernel, session, runtime, _) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary())));
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "111222" }))
            .Then(request =>
            {
                // A reply lands while the LLM is thinking about the tool result: it must wait for the next safe point.
                runtime.Loopback!.ReplyAsync(runtime.Loopback.SentMessages[0], "early reply").AsTask().GetAwaiter().GetResult();
                return ScriptedTurn.Call("messaging-send_summary", new { message = "Your code is on its way." });
            })
            .Then(ScriptedTurn.Text("All sent."))
            .Then(ScriptedTurn.Text("Got your reply."));
        var history = new ChatHistory();

        await TurnAsync(kernel, session, history, "Code and summary please.");
        Assert.True(session.HasPendingReplies);
        await TurnAsync(kernel, session, history, "Anything else?");

        Assert.Empty(_llm.Rejections);
        Assert.Equal(2, runtime.Loopback!.SentMessages.Count);
        Assert.Single(ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1]), m => m!["content"]?.ToString() == "[SMS Reply]: early reply");
    }

    [Fact]
    public async Task Two_actions_each_fire_on_their_own_description()
    {
        var (kernel, session, runtime, _) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary())));
        _llm.Then(ScriptedTurn.Call("messaging-send_summary", new { message = "Summary: refund approved." }))
            .Then(ScriptedTurn.Text("Sent you the summary."));

        await TurnAsync(kernel, session, [], "Text me a summary.");

        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        Assert.Equal("send_summary", sent.Message.ActionName);
        Assert.Equal(2, ScriptedOpenAIServer.ToolsOf(_llm.Requests[0])!.Count);
    }

    [Fact]
    public async Task Reply_after_hang_up_goes_to_the_after_call_handler()
    {
        var handler = new RecordingAfterCallHandler();
        var (kernel, session, runtime, _) = Start(TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()), afterCall: [handler]));
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(ScriptedTurn.Text("Sent."));

        await TurnAsync(kernel, session, [], "Text me a code.");
        runtime.Calls.EndCall(session.CallId);
        var outcome = await runtime.Loopback!.ReplyAsync(runtime.Loopback.SentMessages[0], "thanks, bye");

        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        var (ended, reply) = Assert.Single(handler.Replies);
        Assert.Same(session, ended);
        Assert.Equal("thanks, bye", reply.Text);
        Assert.Contains(session.Messages, m => m.Direction == MessageDirection.Inbound && m.Text == "thanks, bye");
        Assert.False(session.HasPendingReplies);
    }

    [Fact]
    public async Task Works_under_Microsoft_Extensions_AI_function_invocation()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var session = runtime.Calls.StartCall("CA00000000000000000000000000000002", TestRuntime.Caller);
        var kernel = new Kernel().WithCallSession(session);
        kernel.Plugins.Add(runtime.Plugin);
        var openAI = new OpenAI.Chat.ChatClient("test", new System.ClientModel.ApiKeyCredential("test"),
            new OpenAI.OpenAIClientOptions { Endpoint = _llm.Endpoint });
        using var client = new Microsoft.Extensions.AI.ChatClientBuilder(Microsoft.Extensions.AI.OpenAIClientExtensions.AsIChatClient(openAI))
            .UseFunctionInvocation()
            .Build();
        var tools = runtime.Plugin.Select(f => (Microsoft.Extensions.AI.AITool)f.WithKernel(kernel)).ToList();
        _llm.Then(request => ScriptedTurn.Call((string)ScriptedOpenAIServer.ToolsOf(request)![0]!["function"]!["name"]!, new { otp_code = "246810" }))
            .Then(ScriptedTurn.Text("Sent via MEAI."));
        List<Microsoft.Extensions.AI.ChatMessage> messages = [new(Microsoft.Extensions.AI.ChatRole.User, "Send me a code")];

        var response = await client.GetResponseAsync(messages, new Microsoft.Extensions.AI.ChatOptions { Tools = tools });

        Assert.Equal("Sent via MEAI.", response.Text);
        Assert.Equal("Your code is 246810. It expires in 10 minutes.", Assert.Single(runtime.Loopback!.SentMessages).Message.Body);
        Assert.Empty(_llm.Rejections);
    }

    private sealed class RecordingAfterCallHandler : IAfterCallReplyHandler
    {
        public List<(CallSession Session, InboundMessage Reply)> Replies { get; } = [];

        public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            Replies.Add((session, reply));
            return Task.CompletedTask;
        }
    }
}
