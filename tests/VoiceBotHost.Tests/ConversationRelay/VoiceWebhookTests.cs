using System.Net;
using System.Net.WebSockets;
using System.Xml.Linq;
using InCallMessaging.Twilio;
using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

/// <summary>The incoming-call TwiML and the signature checks on the voice side.</summary>
public sealed class VoiceWebhookTests
{
    private static List<KeyValuePair<string, string>> IncomingCall(string callSid) =>
    [
        new("AccountSid", DevelopmentCredentials.AccountSid),
        new("CallSid", callSid),
        new("CallStatus", "ringing"),
        new("Direction", "inbound"),
        new("From", Caller),
        new("To", SmsSender),
    ];

    [Fact]
    public async Task Incoming_call_answers_connect_conversation_relay_with_the_calls_parameters()
    {
        await using var host = await StartAsync();
        var callSid = NewCallSid();

        using var response = await host.PostSignedAsync("/voice/incoming", IncomingCall(callSid));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Response", twiml.Root!.Name.LocalName);
        var relay = Assert.Single(twiml.Root.Element("Connect")!.Elements("ConversationRelay"));
        Assert.Equal($"ws://{host.BaseUri.Authority}/voice/relay", (string?)relay.Attribute("url"));
        Assert.StartsWith("Hi, this is Ava from Acme.", (string?)relay.Attribute("welcomeGreeting"), StringComparison.Ordinal);
        Assert.Equal("true", (string?)relay.Attribute("dtmfDetection"));
        var parameters = relay.Elements("Parameter").ToDictionary(p => (string)p.Attribute("name")!, p => (string)p.Attribute("value")!);
        Assert.Equal(new Dictionary<string, string> { ["From"] = Caller, ["To"] = SmsSender, ["CallSid"] = callSid }, parameters);
    }

    [Fact]
    public void The_twiml_is_twilios_documented_shape_with_every_value_escaped()
    {
        var twiml = VoiceBotHost.ConversationRelay.ConversationRelayTwiml.Connect(
            new Uri("wss://voice.example.test/voice/relay"),
            "Hi, this is Ava & co. \"Welcome\" <friend>",
            new Dictionary<string, string> { ["language"] = "en-US", ["dtmfDetection"] = "true", ["url"] = "wss://ignored.example.test" },
            [new("From", "+14155550123"), new("Note", "a<b & \"c\"")]);

        // Twilio's documented form: <Response><Connect><ConversationRelay url=... welcomeGreeting=...><Parameter name value/>.
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<Response><Connect><ConversationRelay url=\"wss://voice.example.test/voice/relay\" welcomeGreeting=\"Hi, this is Ava &amp; co. &quot;Welcome&quot; &lt;friend&gt;\" language=\"en-US\" dtmfDetection=\"true\">"
            + "<Parameter name=\"From\" value=\"+14155550123\"></Parameter><Parameter name=\"Note\" value=\"a&lt;b &amp; &quot;c&quot;\"></Parameter>"
            + "</ConversationRelay></Connect></Response>",
            twiml);
        var relay = XDocument.Parse(twiml).Descendants("ConversationRelay").Single();
        Assert.Equal("Hi, this is Ava & co. \"Welcome\" <friend>", (string?)relay.Attribute("welcomeGreeting"));
    }

    [Fact]
    public async Task Incoming_call_behind_a_public_url_points_twilio_at_wss_on_that_url()
    {
        await using var host = await StartAsync(settings: new Dictionary<string, string?> { ["PublicBaseUrl"] = "https://voice.example.test" });

        using var response = await host.PostSignedAsync("/voice/incoming", IncomingCall(NewCallSid()), signedBase: "https://voice.example.test");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var relay = XDocument.Parse(await response.Content.ReadAsStringAsync()).Descendants("ConversationRelay").Single();
        Assert.Equal("wss://voice.example.test/voice/relay", (string?)relay.Attribute("url"));
    }

    [Fact]
    public async Task Incoming_call_without_a_valid_signature_is_refused()
    {
        await using var host = await StartAsync();

        using var unsigned = await host.PostUnsignedAsync("/voice/incoming", IncomingCall(NewCallSid()));

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
    }

    [Fact]
    public async Task With_twilio_configured_the_relay_upgrade_needs_twilios_signature_and_the_simulator_is_off()
    {
        const string token = "0123456789abcdef0123456789abcdef";
        await using var host = await StartAsync(settings: new Dictionary<string, string?>
        {
            ["InCallMessaging:Twilio:AccountSid"] = "AC" + new string('a', 32),
            ["InCallMessaging:Twilio:AuthToken"] = token,
            ["PublicBaseUrl"] = "https://voice.example.test",
        }, environment: "Production");

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);

        // Twilio signs the wss:// URL it was given in the TwiML.
        var signature = TwilioSignature.Compute("wss://voice.example.test/voice/relay", [], token);
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None,
            options => options.SetRequestHeader("X-Twilio-Signature", signature));
        var callSid = NewCallSid();
        await relay.SendSetupAsync(callSid, Caller, SmsSender);
        Assert.True(await EventuallyAsync(() => host.Calls.Find(callSid) is { IsActive: true }));

        using var simulator = await host.GetAsync("/simulator/config");
        Assert.Equal(HttpStatusCode.NotFound, simulator.StatusCode);
        await Assert.ThrowsAsync<WebSocketException>(() => RelayClient.ConnectAsync(new Uri($"ws://{host.BaseUri.Authority}/simulator/relay"), CancellationToken.None, authToken: null));
    }

    [Fact]
    public async Task Offline_the_relay_still_needs_a_signature_and_the_browser_uses_the_simulators_unsigned_twin()
    {
        await using var host = await StartAsync();

        var unsigned = await Assert.ThrowsAsync<WebSocketException>(() => RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None, authToken: null));
        Assert.Contains("403", unsigned.Message, StringComparison.Ordinal);

        // Signed with the development token, as the console demo and these tests play Twilio.
        await using (var signed = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None))
        {
            var callSid = NewCallSid();
            await signed.SendSetupAsync(callSid, Caller, SmsSender);
            Assert.True(await EventuallyAsync(() => host.Calls.Find(callSid) is { IsActive: true }));
        }

        var simulatorRelay = new Uri($"ws://{host.BaseUri.Authority}/simulator/relay");
        await using var browser = await RelayClient.ConnectAsync(simulatorRelay, CancellationToken.None, authToken: null);
        var browserCall = NewCallSid();
        await browser.SendSetupAsync(browserCall, Caller, SmsSender);
        Assert.True(await EventuallyAsync(() => host.Calls.Find(browserCall) is { IsActive: true }));
    }

    [Fact]
    public async Task The_development_token_is_refused_outside_development()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(settings: new Dictionary<string, string?>
        {
            ["InCallMessaging:Twilio:AccountSid"] = DevelopmentCredentials.AccountSid,
            ["InCallMessaging:Twilio:AuthToken"] = DevelopmentCredentials.AuthToken,
        }, environment: "Production"));

        Assert.Contains("development-only", error.Message, StringComparison.Ordinal);
    }
}
