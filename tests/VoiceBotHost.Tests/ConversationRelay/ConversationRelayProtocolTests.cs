using System.Net;
using System.Text.Json.Nodes;
using InCallMessaging.Testing;
using VoiceBotHost.Demo;
using VoiceBotHost.Tests.TestSupport;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

/// <summary>
/// The host's ConversationRelay WebSocket with a real ClientWebSocket playing Twilio, SK's OpenAI connector talking to
/// a scripted OpenAI-compatible server, and text replies posted to the signed webhook over HTTP.
/// </summary>
public sealed class ConversationRelayProtocolTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    [Fact]
    public async Task Setup_prompt_streams_tokens_and_a_late_text_reply_is_in_the_next_prompts_llm_request()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_summary", new { message = "Your router ships on Monday." }))
            .Then(ScriptedTurn.Text("I've texted you a summary of our call."))
            .Then(ScriptedTurn.Text("Yes, your text arrived, thank you."));
        await using var host = await StartAsync(_llm.Endpoint, new Dictionary<string, string?> { ["VoiceBot:NudgeOnIdleReply"] = "false" });
        var callSid = NewCallSid();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);

        await relay.SendSetupAsync(callSid, Caller, SmsSender, new Dictionary<string, string> { ["CallSid"] = callSid, ["plan"] = "gold" });
        await relay.SendPromptAsync("Can you text me a summary?");

        Assert.Equal("I'm texting you a summary now.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal("I've texted you a summary of our call.", await relay.ReceiveUtteranceAsync(Patience));
        var streamed = relay.Received.Where(m => (string?)m["type"] == "text").Skip(1).ToList();
        Assert.True(streamed.Count >= 3, "The answer should arrive as several text tokens.");
        Assert.All(streamed[..^1], token => Assert.False(token["last"]!.GetValue<bool>()));
        Assert.True(streamed[^1]["last"]!.GetValue<bool>());

        var call = host.Calls.Find(callSid);
        Assert.NotNull(call);
        Assert.True(call.IsActive);
        Assert.Equal("gold", call.Metadata["plan"]);
        var sms = Assert.Single(host.Loopback.SentMessages);
        Assert.Equal(Caller, sms.Message.To);
        Assert.Equal("Your router ships on Monday.", sms.Message.Body);

        // The caller texts back after the action returned: Twilio's webhook, signed, over HTTP.
        using var webhook = await host.PostSignedAsync("/twilio/messages", InboundSms("Got it, thanks!"));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        Assert.True(await EventuallyAsync(() => call.HasPendingReplies));

        await relay.SendPromptAsync("Did my text arrive?");
        Assert.Equal("Yes, your text arrived, thank you.", await relay.ReceiveUtteranceAsync(Patience));
        var userLines = ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1])
            .Where(m => (string?)m!["role"] == "user").Select(m => m!["content"]!.ToString()).ToList();
        Assert.Equal(["Can you text me a summary?", "[SMS Reply]: Got it, thanks!", "Did my text arrive?"], userLines);
        Assert.Empty(_llm.Rejections);

        await relay.CloseAsync();
        Assert.True(await EventuallyAsync(() => !call.IsActive), "Closing the socket should end the call session.");
    }

    [Fact]
    public async Task A_text_reply_on_a_quiet_line_gets_the_agent_talking()
    {
        _llm.Then(ScriptedTurn.Text("Hello! How can I help?"))
            .Then(ScriptedTurn.Text("Thanks, I see your text."));
        await using var host = await StartAsync(_llm.Endpoint);
        var callSid = NewCallSid();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender);
        await relay.SendPromptAsync("Hi there.");
        Assert.Equal("Hello! How can I help?", await relay.ReceiveUtteranceAsync(Patience));

        // No action waits and nobody speaks: the reply alone starts a turn.
        using var webhook = await host.PostSignedAsync("/twilio/messages", InboundSms("This is Ada, texting you."));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

        Assert.Equal("Thanks, I see your text.", await relay.ReceiveUtteranceAsync(Patience));
        var last = ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1])[^1]!;
        Assert.Equal("user", (string?)last["role"]);
        Assert.Equal("[SMS Reply]: This is Ada, texting you.", last["content"]!.ToString());
    }

    [Fact]
    public async Task Dtmf_reaches_the_agent_as_a_user_line()
    {
        _llm.Then(ScriptedTurn.Text("You pressed five."));
        await using var host = await StartAsync(_llm.Endpoint);
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(NewCallSid(), Caller, SmsSender);

        await relay.SendDtmfAsync("5");

        Assert.Equal("You pressed five.", await relay.ReceiveUtteranceAsync(Patience));
        var last = ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1])[^1]!;
        Assert.Equal("[DTMF]: 5", last["content"]!.ToString());
    }

    [Fact]
    public async Task The_conversation_starts_with_the_prompts_folders_system_prompt_and_the_greeting()
    {
        _llm.Then(ScriptedTurn.Text("Hi."));
        await using var host = await StartAsync(_llm.Endpoint);
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(NewCallSid(), Caller, SmsSender);
        await relay.SendPromptAsync("Hello?");
        await relay.ReceiveUtteranceAsync(Patience);

        var request = _llm.Requests[^1];
        var system = ScriptedOpenAIServer.MessagesOf(request)[0]!;
        Assert.Equal("system", (string?)system["role"]);
        Assert.Contains("[SMS Reply]:", system["content"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("ending in 0123", system["content"]!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("4155550123", system["content"]!.ToString(), StringComparison.Ordinal);
        var greeting = ScriptedOpenAIServer.MessagesOf(request)[1]!;
        Assert.Equal("assistant", (string?)greeting["role"]);
        Assert.StartsWith("Hi, this is Ava from Acme.", greeting["content"]!.ToString(), StringComparison.Ordinal);
        var tools = ScriptedOpenAIServer.ToolsOf(request)!.Select(t => (string?)t!["function"]!["name"]).ToList();
        Assert.Equal(["messaging-send_otp", "messaging-collect_email", "messaging-send_payment_link", "messaging-send_summary",
            "messaging-send_booking_confirmation", "verification-check_code", "appointments-book_technician_visit"], tools);
        var otp = ScriptedOpenAIServer.ToolsOf(request)!.Single(t => (string?)t!["function"]!["name"] == "messaging-send_otp")!;
        Assert.Empty(otp["function"]!["parameters"]?["properties"]?.AsObject() ?? []);
        var summary = ScriptedOpenAIServer.ToolsOf(request)!.Single(t => (string?)t!["function"]!["name"] == "messaging-send_summary")!;
        Assert.Contains("message", summary["function"]!["parameters"]!["required"]!.AsArray().Select(n => (string?)n));
    }
}
