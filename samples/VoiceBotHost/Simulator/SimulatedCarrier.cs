using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Options;

namespace VoiceBotHost.Simulator;

/// <summary>
/// Stands in for the phone network while offline: every text the loopback provider accepts is shown on the simulator's
/// phone, and Twilio-style delivery callbacks (sent, then delivered) are POSTed, signed, to this host's
/// <c>/twilio/status</c>. The status the page shows is the one the host recorded, not the one posted.
/// </summary>
public sealed class SimulatedCarrier(
    LoopbackMessageProvider loopback,
    SimulatorEventStream events,
    SignedWebhookClient webhooks,
    ICallSessionRegistry calls,
    IOptions<SimulatorSettings> settings,
    IHostApplicationLifetime lifetime,
    ILogger<SimulatedCarrier> logger) : IHostedService
{
    private static readonly TimeSpan SentAfter = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan DeliveredAfter = TimeSpan.FromMilliseconds(700);

    // Cancelled as soon as the host begins to stop: the web server may stop listening before this service's StopAsync.
    private readonly CancellationTokenSource _stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loopback.MessageSent += OnMessageSent;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        loopback.MessageSent -= OnMessageSent;
        await _stopping.CancelAsync();
    }

    private void OnMessageSent(object? sender, LoopbackMessage sent)
    {
        var message = sent.Message;
        events.Publish("message", new
        {
            id = sent.MessageId,
            channel = message.Channel == MessageChannel.WhatsApp ? "whatsapp" : "sms",
            from = message.Sender.From ?? message.SenderName,
            to = message.To,
            body = message.Body,
            templateId = message.Content?.TemplateId,
            preview = message.Content is { } content ? settings.Value.Render(content) : null,
            action = message.ActionName,
            // A text sent once its call has ended (an after-call action): the page says so.
            afterCall = message.CallId is { } callId && calls.Find(callId) is { IsActive: false },
            status = "queued",
        });

        // Raised inside the plugin's send: report delivery from another task, after the send has been recorded.
        _ = Task.Run(() => ReportDeliveryAsync(sent, _stopping.Token));
    }

    private async Task ReportDeliveryAsync(LoopbackMessage sent, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(SentAfter, stopping);
            await PostStatusAsync(sent, "sent", stopping);
            await Task.Delay(DeliveredAfter, stopping);
            await PostStatusAsync(sent, "delivered", stopping);
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or HttpRequestException)
        {
            // The host is stopping (its server may no longer listen): the callback has no one left to tell.
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The simulated carrier could not report the delivery of {MessageId}.", sent.MessageId);
        }
    }

    private async Task PostStatusAsync(LoopbackMessage sent, string status, CancellationToken stopping)
    {
        var message = sent.Message;
        var prefix = message.Channel == MessageChannel.WhatsApp ? "whatsapp:" : "";
        using var response = await webhooks.PostAsync("/twilio/status",
        [
            new("MessageSid", sent.MessageId),
            new("SmsSid", sent.MessageId),
            new("MessageStatus", status),
            new("SmsStatus", status),
            new("AccountSid", webhooks.AccountSid),
            new("From", prefix + (message.Sender.From ?? message.SenderName)),
            new("To", prefix + message.To),
            new("ApiVersion", "2010-04-01"),
        ], stopping);

        var recorded = calls.FindByMessageId(sent.MessageId)?.Messages.LastOrDefault(m => m.MessageId == sent.MessageId)?.Status;
        events.Publish("status", new { id = sent.MessageId, status = recorded ?? status, webhook = (int)response.StatusCode });
    }
}
