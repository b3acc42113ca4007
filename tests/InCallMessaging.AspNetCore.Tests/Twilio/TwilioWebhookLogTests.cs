using System.Net;
using InCallMessaging.AspNetCore.Tests.TestSupport;

namespace InCallMessaging.AspNetCore.Tests.Twilio;

/// <summary>Numbers in the logs of an inbound webhook: every one masked, the agent's own ones too when they name no sender.</summary>
public sealed class TwilioWebhookLogTests
{
    private const string OtherNumber = "+15005550099";
    private const string MaskedOtherNumber = "+1******0099";

    [Fact]
    public async Task A_To_that_is_no_configured_sender_is_logged_masked()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.PostSignedAsync("twilio/messages",
            WebhookTestHost.InboundSms("SM40000000000000000000000000000003", "STOP", to: OtherNumber));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(host.Hub.UnmatchedReplies);
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains(MaskedOtherNumber, StringComparison.Ordinal) && e.Message.Contains("matches no call", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains(MaskedOtherNumber, StringComparison.Ordinal) && e.Message.Contains("opted out", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(OtherNumber, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(WebhookTestHost.Caller, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_configured_sender_is_still_logged_by_name()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM40000000000000000000000000000004", "hi"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains("to sender 'sms' matches no call", StringComparison.Ordinal));
    }
}
