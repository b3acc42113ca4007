using System.Net;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace InCallMessaging.AspNetCore.Tests.State;

/// <summary>
/// Issue 13, point 4, over real Kestrel: when the state store cannot record what arrived, the webhook answers 503
/// (so Twilio retries), never 200-and-drop; once the store is back, the retry is delivered in full.
/// </summary>
public sealed class StoreFaultWebhookTests
{
    [Fact]
    public async Task An_inbound_message_the_store_cannot_record_gets_503_and_its_retry_is_delivered_once_the_store_is_back()
    {
        var log = new FaultyMessageLog { Broken = true };
        await using var host = await WebhookTestHost.StartAsync(o => o.ConfigureServices = s => s.AddSingleton<IMessageLog>(log));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM00000000000000000000000000000031", "On my way");

        using (var refused = await host.PostSignedAsync("twilio/messages", form))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.False(session.HasPendingReplies);
        }

        log.Broken = false;
        using var retried = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("On my way", session.GetVariable("sms_reply"));
        var logged = await log.FindAsync("SM00000000000000000000000000000031");
        Assert.Equal(session.CallId, logged?.CallId);
    }

    [Fact]
    public async Task A_status_the_store_cannot_record_gets_503_and_its_retry_applies()
    {
        var log = new FaultyMessageLog();
        await using var host = await WebhookTestHost.StartAsync(o => o.ConfigureServices = s => s.AddSingleton<IMessageLog>(log));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var sentId = Assert.Single(session.Messages).MessageId;
        log.Broken = true;

        using (var refused = await host.PostSignedAsync("twilio/status", [new("MessageSid", sentId), new("MessageStatus", "delivered")]))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        log.Broken = false;
        using var retried = await host.PostSignedAsync("twilio/status", [new("MessageSid", sentId), new("MessageStatus", "delivered")]);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("delivered", Assert.Single(session.Messages).Status);
        Assert.Equal("delivered", (await log.FindAsync(sentId))?.Status);
    }
}
