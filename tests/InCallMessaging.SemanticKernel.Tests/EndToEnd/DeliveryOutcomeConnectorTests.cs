using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using InCallMessaging.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace InCallMessaging.SemanticKernel.Tests.EndToEnd;

/// <summary>
/// What the caller hears while SK's OpenAI connector runs an action against a slow provider: the delay line, spoken
/// once the provider has not answered within <c>DelayThreshold</c> on a fake clock; the model still gets its JSON.
/// </summary>
public sealed class DeliveryOutcomeConnectorTests : IAsyncLifetime
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    [Fact]
    public async Task Slow_provider_gets_the_delay_line_spoken_and_the_model_still_gets_sent()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var provider = new GatedProvider();
        var summary = TestRuntime.Summary();
        summary.Sender = "gated";
        summary.MessageOnDelay = "It's taking a moment to go through.";
        var options = TestRuntime.Options(summary);
        options.Senders["gated"] = new MessageSenderOptions { Provider = provider.Name, From = TestRuntime.Agent };
        var runtime = InCallMessagingRuntime.Create(options, [provider], timeProvider: time);
        var session = runtime.Calls.StartCall("CA00000000000000000000000000000001", TestRuntime.Caller, TestRuntime.Agent);
        var speech = new RecordingSpeech();
        session.Speech = speech;
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(modelId: "test", endpoint: _llm.Endpoint, apiKey: "test");
        builder.Plugins.Add(runtime.Plugin);
        var kernel = builder.Build().WithCallSession(session);
        _llm.Then(ScriptedTurn.Call("messaging-send_summary", new { message = "Table for two at 7pm." }))
            .Then(ScriptedTurn.Text("Done, it's on its way."));
        var history = new ChatHistory();
        history.AddUserMessage("Can you text me the booking?");

        var turn = kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history,
            new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }, kernel);
        await provider.Started.Task.WaitAsync(Safety);
        time.Advance(TimeSpan.FromMilliseconds(1999));
        var beforeThreshold = speech.Lines.Count;
        time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForAsync(() => speech.Lines.Count > 0);
        provider.Answer.SetResult(SendResult.Sent("SM" + new string('d', 32)));
        var answer = await turn.WaitAsync(Safety);

        Assert.Equal(0, beforeThreshold);
        Assert.Equal(["It's taking a moment to go through."], speech.Lines);
        Assert.Equal("Done, it's on its way.", answer.Content);
        Assert.Equal("sent", (string?)JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[^1])!)!["status"]);
        Assert.Empty(_llm.Rejections);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Safety);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
