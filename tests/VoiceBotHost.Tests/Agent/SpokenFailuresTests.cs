using System.Net;
using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.Agent;

/// <summary>What a caller hears when a text cannot go out, with the offline demo model: words, never reason codes.</summary>
public sealed class SpokenFailuresTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task An_opted_out_caller_hears_how_to_opt_back_in_and_after_START_gets_the_code()
    {
        await using var host = await StartAsync();
        using (var stop = await host.PostSignedAsync("/twilio/messages", InboundSms("STOP")))
        {
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        }

        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        await relay.SendSetupAsync(NewCallSid(), Caller, SmsSender);
        await relay.SendPromptAsync("Can you text me a verification code?");

        var said = await relay.ReceiveUtteranceAsync(Patience);
        Assert.Contains("opted out of texts", said, StringComparison.Ordinal);
        Assert.Contains("text START to the number you're calling", said, StringComparison.Ordinal);
        Assert.DoesNotContain("opted_out", said, StringComparison.Ordinal);
        Assert.DoesNotContain("(", said, StringComparison.Ordinal);
        Assert.Empty(host.Loopback.SentMessages);

        using (var start = await host.PostSignedAsync("/twilio/messages", InboundSms("START")))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        // START is a text on the live call: the agent acknowledges it, then the caller asks again.
        Assert.Equal("Thanks, texts are back on. What would you like me to send you?", await relay.ReceiveUtteranceAsync(Patience));
        await relay.SendPromptAsync("Can you text me a verification code now?");
        Assert.StartsWith("I'm texting you a six-digit code now.", await relay.ReceiveUtteranceAsync(Patience), StringComparison.Ordinal);
        // The sentence is spoken just before the send: wait for the text itself.
        var sms = await host.Loopback.WaitForMessageAsync().WaitAsync(Patience);
        Assert.Equal("send_otp", sms.Message.ActionName);
    }
}
