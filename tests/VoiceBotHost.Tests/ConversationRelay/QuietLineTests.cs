using InCallMessaging.Testing;
using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

/// <summary>
/// A text that reaches a quiet call (nobody speaking, no action waiting) gives the agent a turn at once, through the
/// plugin's <c>CallSession.MessageArrived</c> hook: the caller hears the answer without having to speak first.
/// </summary>
public sealed class QuietLineTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    [Fact]
    public async Task A_text_to_a_quiet_call_starts_a_turn_with_the_reply_line()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_summary", new { message = "Your router ships on Monday." }))
            .Then(ScriptedTurn.Text("I've texted you the summary."))
            .Then(ScriptedTurn.Text("Good question: delivery is free."));
        await using var host = await StartAsync(_llm.Endpoint);
        var callSid = NewCallSid();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender);
        await relay.SendPromptAsync("Can you text me a summary?");
        Assert.Equal("I'm texting you a summary now.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal("I've texted you the summary.", await relay.ReceiveUtteranceAsync(Patience));

        using var reply = await host.PostSignedAsync("/twilio/messages", InboundSms("Is delivery free?"));

        Assert.Equal(System.Net.HttpStatusCode.OK, reply.StatusCode);
        Assert.Equal("Good question: delivery is free.", await relay.ReceiveUtteranceAsync(Patience));
        var lastUser = ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1]).Last(m => (string?)m!["role"] == "user")!;
        Assert.Equal("[SMS Reply]: Is delivery free?", (string?)lastUser["content"]);
        Assert.Empty(_llm.Rejections);
    }
}
