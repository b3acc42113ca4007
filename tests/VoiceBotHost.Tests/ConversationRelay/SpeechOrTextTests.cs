using System.Text.Json.Nodes;
using InCallMessaging.Testing;
using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

/// <summary>Speech or text, whichever comes first: a spoken prompt ends an action's wait for a text reply.</summary>
public sealed class SpeechOrTextTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    [Fact]
    public async Task A_prompt_while_waiting_for_a_text_answers_the_wait_by_voice_without_a_new_turn()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" }))
            .Then(ScriptedTurn.Text("Thanks, that code matches."));
        await using var host = await StartAsync(_llm.Endpoint);
        var callSid = NewCallSid();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender);

        await relay.SendPromptAsync("Please text me a verification code.");
        Assert.StartsWith("I'm texting you a six-digit code now.", await relay.ReceiveUtteranceAsync(Patience), StringComparison.Ordinal);
        var call = host.Calls.Find(callSid)!;
        Assert.True(await EventuallyAsync(() => call.IsWaitingForReply), "send_otp should be waiting for the caller's text.");

        await relay.SendPromptAsync("It's 4 8 2 9 1 3.");

        Assert.Equal("Thanks, that code matches.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.False(call.IsWaitingForReply);
        await Task.Delay(300);
        Assert.Equal(2, _llm.Requests.Count);
        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("answered_by_voice", (string?)result["status"]);
        Assert.Equal("It's 4 8 2 9 1 3.", (string?)result["reply"]);
        var userLines = ScriptedOpenAIServer.MessagesOf(_llm.Requests[1]).Where(m => (string?)m!["role"] == "user").ToList();
        Assert.Single(userLines);
        Assert.Empty(_llm.Rejections);
    }
}
