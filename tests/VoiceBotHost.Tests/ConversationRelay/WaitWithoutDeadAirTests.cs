using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using VoiceBotHost.Demo;
using VoiceBotHost.Tests.TestSupport;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

/// <summary>
/// A wait for a texted code, as a caller lives it: things said meanwhile get their own answer and the wait goes on,
/// a code keyed in is one answer, silence gets a reminder and then the fallback line. The code is made and checked
/// by the server: the model only ever sees the verdict.
/// </summary>
public sealed partial class WaitWithoutDeadAirTests : IAsyncLifetime
{
    private const string BeforeAction = "I'm texting you a six-digit code now. Please text it back to me, or type it on your phone's keypad.";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    [Fact]
    public async Task Hold_on_during_the_wait_gets_a_short_answer_and_the_code_texted_later_is_verified_by_the_server()
    {
        VoiceBotTestHost? host = null;
        _llm.Then(ScriptedTurn.Call("messaging-send_otp"))
            .Then(ScriptedTurn.Text("Sure, take your time."))
            // The texted code reaches the model as an [SMS Reply]: line; it hands it to the server's check.
            .Then(request => ScriptedTurn.Call("verification-check_code", new { code = LastUserLine(request).Replace("[SMS Reply]:", "", StringComparison.Ordinal).Trim() }))
            .Then(ScriptedTurn.Text("Thanks, you're verified."));
        await using var started = host = await StartAsync(_llm.Endpoint);
        var (relay, call, code) = await StartCodeWaitAsync(host);
        await using var _ = relay;

        await relay.SendPromptAsync("Hold on, let me find my phone.");

        Assert.Equal("Sure, take your time.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.True(call.IsWaitingForReply, "Words that are not the code leave the wait running.");
        var waiting = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("waiting", (string?)waiting["status"]);
        Assert.Equal("Hold on, let me find my phone.", LastUserLine(_llm.Requests[1]));

        using var webhook = await host.PostSignedAsync("/twilio/messages", InboundSms(code));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

        Assert.Equal("Thanks, you're verified.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal($"[SMS Reply]: {code}", LastUserLine(_llm.Requests[2]));
        var verdict = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[3])!)!;
        Assert.Equal("verified", (string?)verdict["status"]);
        Assert.False(call.IsWaitingForReply);
        Assert.Equal(4, _llm.Requests.Count);
        Assert.All(_llm.Requests.Take(2), request => Assert.DoesNotContain(code, request.ToJsonString(), StringComparison.Ordinal));
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task A_payment_request_during_the_wait_is_handled_while_the_wait_goes_on()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_otp"))
            .Then(ScriptedTurn.Call("messaging-send_payment_link", new { amount = "$49.00" }))
            .Then(ScriptedTurn.Text("Done, the link is on your WhatsApp."));
        await using var host = await StartAsync(_llm.Endpoint);
        var (relay, call, _) = await StartCodeWaitAsync(host);
        await using var _ = relay;

        await relay.SendPromptAsync("I'd like to pay my bill.");

        Assert.Equal("I'm sending the payment link to your WhatsApp now.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal("Done, the link is on your WhatsApp.", await relay.ReceiveUtteranceAsync(Patience));
        var link = Assert.Single(host.Loopback.SentMessages, m => m.Message.Channel == MessageChannel.WhatsApp);
        Assert.Equal("send_payment_link", link.Message.ActionName);
        Assert.Equal("I'd like to pay my bill.", LastUserLine(_llm.Requests[1]));
        Assert.True(call.IsWaitingForReply, "The code can still be texted back.");
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task Six_keypad_digits_during_the_wait_are_one_answer_checked_by_the_server()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_otp"))
            .Then(ScriptedTurn.Text("Thanks, you're verified."))
            .Then(ScriptedTurn.Text("You're welcome."));
        await using var host = await StartAsync(_llm.Endpoint);
        var (relay, call, code) = await StartCodeWaitAsync(host);
        await using var _ = relay;

        foreach (var digit in code)
        {
            await relay.SendDtmfAsync(digit.ToString());
        }

        Assert.Equal("Thanks, you're verified.", await relay.ReceiveUtteranceAsync(Patience));
        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("answered_by_voice", (string?)result["status"]);
        Assert.Equal(code, (string?)result["reply"]);
        Assert.Equal("verified", (string?)result["code_check"]!["status"]);
        Assert.False(call.IsWaitingForReply);

        // The next exchange shows no digit became a turn of its own.
        await relay.SendPromptAsync("Thanks!");
        Assert.Equal("You're welcome.", await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal(3, _llm.Requests.Count);
        var userLines = ScriptedOpenAIServer.MessagesOf(_llm.Requests[2]).Where(m => (string?)m!["role"] == "user").Select(m => m!["content"]!.ToString()).ToList();
        Assert.DoesNotContain(userLines, line => line.StartsWith("[DTMF]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_code_keyed_in_is_not_verified()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_otp"))
            .Then(ScriptedTurn.Text("That code doesn't match."));
        await using var host = await StartAsync(_llm.Endpoint);
        var (relay, _, code) = await StartCodeWaitAsync(host);
        await using var _ = relay;
        var wrong = code[..5] + (code[5] == '9' ? '0' : (char)(code[5] + 1));

        foreach (var digit in wrong)
        {
            await relay.SendDtmfAsync(digit.ToString());
        }

        Assert.Equal("That code doesn't match.", await relay.ReceiveUtteranceAsync(Patience));
        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("no_match", (string?)result["code_check"]!["status"]);
    }

    [Fact]
    public async Task No_reply_brings_the_reminder_then_the_fallback_line()
    {
        _llm.Then(ScriptedTurn.Call("messaging-send_otp"))
            .Then(ScriptedTurn.Text("No problem, we can verify you later."));
        await using var host = await StartAsync(_llm.Endpoint, new Dictionary<string, string?>
        {
            ["InCallMessaging:Actions:0:ReplyTimeout"] = "00:00:03",
            ["InCallMessaging:Actions:0:ReminderInterval"] = "00:00:02",
        });
        var options = host.App.Services.GetRequiredService<InCallMessagingRuntime>().Options.Actions[0];
        var (relay, _, _) = await StartCodeWaitAsync(host);
        await using var _ = relay;

        Assert.Equal(options.ReminderMessage, await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal(options.FallbackMessage, await relay.ReceiveUtteranceAsync(Patience));
        Assert.Equal("No problem, we can verify you later.", await relay.ReceiveUtteranceAsync(Patience));
        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("no_reply", (string?)result["status"]);
        Assert.Equal("timeout", (string?)result["reason"]);
    }

    /// <summary>Starts a call, asks for a code, and returns once send_otp waits; the code is read from the SMS, as the caller would.</summary>
    private static async Task<(RelayClient Relay, CallSession Call, string Code)> StartCodeWaitAsync(VoiceBotTestHost host)
    {
        var callSid = NewCallSid();
        var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender);
        await relay.SendPromptAsync("Can you text me a verification code?");
        Assert.Equal(BeforeAction, await relay.ReceiveUtteranceAsync(Patience));
        var call = host.Calls.Find(callSid)!;
        Assert.True(await EventuallyAsync(() => call.IsWaitingForReply), "send_otp should be waiting for the caller's text.");
        var sms = Assert.Single(host.Loopback.SentMessages);
        var code = SixDigits().Match(sms.Message.Body ?? "").Value;
        Assert.Equal(6, code.Length);
        return (relay, call, code);
    }

    private static string LastUserLine(JsonObject request) =>
        ScriptedOpenAIServer.MessagesOf(request).Last(m => (string?)m!["role"] == "user")!["content"]!.ToString();

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
