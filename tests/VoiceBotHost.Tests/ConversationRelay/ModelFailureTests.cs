using System.Net;
using System.Net.Sockets;
using VoiceBotHost.Agent;
using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

public sealed class ModelFailureTests
{
    [Fact]
    public async Task When_the_model_cannot_be_reached_the_caller_hears_an_apology_and_the_call_stays_up()
    {
        await using var host = await StartAsync(new Uri($"http://127.0.0.1:{UnusedPort()}/v1"),
            new Dictionary<string, string?> { ["Logging:LogLevel:VoiceBotHost.Agent"] = "None" });
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        var callSid = NewCallSid();
        await relay.SendSetupAsync(callSid, Caller, SmsSender);

        await relay.SendPromptAsync("Hello?");

        Assert.Equal(VoiceAgent.Apology, await relay.ReceiveUtteranceAsync(TimeSpan.FromSeconds(30)));
        Assert.True(host.Calls.Find(callSid)!.IsActive);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
