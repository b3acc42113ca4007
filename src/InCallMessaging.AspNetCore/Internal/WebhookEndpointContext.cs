using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Internal;

/// <summary>
/// What every webhook endpoint needs, Twilio's and the custom provider's: options, the logger, masking, and the hand-over
/// of a parsed message to the reply hub.
/// </summary>
internal sealed class WebhookEndpointContext(IServiceProvider services)
{
    private readonly IOptionsMonitor<WebhookOptions> _options = services.GetRequiredService<IOptionsMonitor<WebhookOptions>>();
    private readonly IOptionsMonitor<InCallMessagingOptions>? _plugin = services.GetService<IOptionsMonitor<InCallMessagingOptions>>();
    private readonly TimeProvider _time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    // Resolved from the application's services, not the request's: a delivery may outlive its request.
    private readonly Lazy<IReplyHub> _hub = new(services.GetRequiredService<IReplyHub>);

    /// <summary>The webhook endpoints' logger.</summary>
    public ILogger Logger { get; } = services.GetRequiredService<ILoggerFactory>().CreateLogger(WebhookLog.Category);

    /// <summary>The current time, from the application's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The current webhook options.</summary>
    public WebhookOptions Options => _options.CurrentValue;

    /// <summary>The reply hub.</summary>
    public IReplyHub Hub => _hub.Value;

    /// <summary>Whether phone numbers are masked in logs.</summary>
    public bool MaskPersonalData => _plugin?.CurrentValue.MaskPersonalData ?? true;

    /// <summary>
    /// Hands <paramref name="message"/> to the hub and logs the outcome. When the hub takes longer than
    /// <see cref="WebhookOptions.MaxDeliveryWait"/> (slow after-call handlers), the delivery goes on in the background
    /// and the provider is answered at once, so it does not time out and send the message again.
    /// </summary>
    /// <returns>The outcome, or <see langword="null"/> while the delivery is still running.</returns>
    public async ValueTask<ReplyDeliveryOutcome?> DeliverAsync(InboundMessage message)
    {
        // Not the request's abort token: once the hub has marked the message as seen, an abandoned delivery would make
        // the provider's retry a "duplicate" and the reply would be lost.
        var delivery = Hub.DeliverAsync(message, CancellationToken.None);
        if (delivery.IsCompletedSuccessfully)
        {
            // The in-memory hub finishes synchronously: no Task, no timer.
            var done = delivery.Result;
            LogInbound(message, done);
            return done;
        }

        var task = delivery.AsTask();
        if (!task.IsCompleted)
        {
            using var stopDelay = new CancellationTokenSource();
            var budget = Task.Delay(Options.MaxDeliveryWait, _time, stopDelay.Token);
            await Task.WhenAny(task, budget);
            await stopDelay.CancelAsync();
        }

        if (task.IsCompleted)
        {
            var outcome = await task;
            LogInbound(message, outcome);
            return outcome;
        }

        LogInbound(message, "still being delivered; answered early");
        _ = ObserveAsync(task, message);
        return null;
    }

    /// <summary>Logs a rejected request (no personal data in <paramref name="problem"/>) and answers it.</summary>
    public IResult Reject(HttpContext context, int statusCode, string problem)
    {
        WebhookLog.RequestRejected(Logger, context.Request.Method, context.Request.Path, statusCode, problem);
        return WebhookResults.Text(statusCode, problem);
    }

    /// <summary>Logs a rejected request and answers it.</summary>
    public IResult Reject(HttpContext context, WebhookProblem problem) => Reject(context, problem.StatusCode, problem.Message);

    /// <summary>
    /// Answers 503 when what arrived could not be recorded: the provider retries (Twilio also tries the number's fallback
    /// URL), and nothing was marked as seen, so the retry is processed in full. Never 200-and-drop.
    /// </summary>
    public IResult StoreUnavailable(HttpContext context, StateStoreException exception)
    {
        Logger.LogError("{Method} {Path} answered 503: the state store could not record it ({Problem}).", context.Request.Method, context.Request.Path, exception.Message);
        context.Response.Headers.RetryAfter = "5";
        return WebhookResults.Text(StatusCodes.Status503ServiceUnavailable, "The message could not be recorded just now; retry later.");
    }

    private async Task ObserveAsync(Task<ReplyDeliveryOutcome> delivery, InboundMessage message)
    {
        try
        {
            var outcome = await delivery;
            WebhookLog.BackgroundDeliveryFinished(Logger, message.MessageId, outcome.ToString());
        }
        catch (Exception ex)
        {
            WebhookLog.BackgroundDeliveryFailed(Logger, ex, message.MessageId);
        }
    }

    private void LogInbound(InboundMessage message, ReplyDeliveryOutcome outcome)
    {
        if (Logger.IsEnabled(LogLevel.Information))
        {
            LogInbound(message, outcome.ToString());
        }
    }

    private void LogInbound(InboundMessage message, string outcome)
    {
        // Masking allocates: only when the message is written.
        if (Logger.IsEnabled(LogLevel.Information))
        {
            WebhookLog.InboundAccepted(Logger, message.Provider, message.Channel, message.MessageId,
                WebhookLog.Phone(message.From, MaskPersonalData), WebhookLog.Phone(message.To, MaskPersonalData),
                message.Text.Length, message.Media.Count, outcome);
        }
    }
}
