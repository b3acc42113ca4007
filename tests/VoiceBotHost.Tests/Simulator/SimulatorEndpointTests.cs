using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.Simulator;

/// <summary>The simulator's server side: it plays Twilio over real, signed HTTP requests to the host's own webhooks.</summary>
public sealed class SimulatorEndpointTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task A_reply_from_the_simulated_phone_reaches_the_waiting_action_through_the_signed_webhook()
    {
        await using var host = await StartAsync();
        var callResponse = await Http.PostAsJsonAsync(new Uri(host.BaseUri, "simulator/call"), new { from = Caller });
        Assert.Equal(HttpStatusCode.OK, callResponse.StatusCode);
        var call = (await callResponse.Content.ReadFromJsonAsync<JsonObject>())!;
        var callSid = (string)call["callSid"]!;
        Assert.Equal($"ws://{host.BaseUri.Authority}/voice/relay", (string?)call["url"]);

        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(callSid, Caller, SmsSender, call["customParameters"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!));
        await relay.SendPromptAsync("I need to update my email address.");
        await relay.ReceiveUtteranceAsync(TimeSpan.FromSeconds(15));
        var session = host.Calls.Find(callSid)!;
        Assert.True(await EventuallyAsync(() => session.IsWaitingForReply));

        var reply = await Http.PostAsJsonAsync(new Uri(host.BaseUri, "simulator/reply"), new { channel = "sms", from = Caller, to = SmsSender, body = "ada@example.com" });

        var result = (await reply.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(200, (int)result["webhookStatus"]!);
        Assert.Equal("Thanks, I've got your email address: ada@example.com.", await relay.ReceiveUtteranceAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal("ada@example.com", session.GetVariable("email_reply"));
        Assert.True(await EventuallyAsync(() => session.Messages.Any(m => m.Status == "delivered")), "The simulated carrier's signed status callbacks should mark the text delivered.");
    }
}
