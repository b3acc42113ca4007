using System.Text.Json;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using InCallMessaging.Testing;
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
}
