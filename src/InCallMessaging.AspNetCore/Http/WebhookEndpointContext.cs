using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.SemanticKernel;
using InCallMessaging.SemanticKernel.Replies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Http;

/// <summary>What every webhook endpoint needs: options, the logger, masking and the reply hub.</summary>
internal sealed class WebhookEndpointContext(IServiceProvider services)
{
    private readonly IOptionsMonitor<WebhookOptions> _options = services.GetRequiredService<IOptionsMonitor<WebhookOptions>>();
    private readonly IOptionsMonitor<InCallMessagingOptions>? _plugin = services.GetService<IOptionsMonitor<InCallMessagingOptions>>();

    /// <summary>The webhook endpoints' logger.</summary>
    public ILogger Logger { get; } = services.GetRequiredService<ILoggerFactory>().CreateLogger(WebhookLog.Category);

    /// <summary>The current webhook options.</summary>
    public WebhookOptions Options => _options.CurrentValue;

    /// <summary>Whether phone numbers are masked in logs.</summary>
    public bool MaskPersonalData => _plugin?.CurrentValue.MaskPersonalData ?? true;

    /// <summary>The reply hub, resolved per request so its lifetime is the application's choice.</summary>
    public static IReplyHub Hub(HttpContext context) => context.RequestServices.GetRequiredService<IReplyHub>();

    /// <summary>Logs a rejected request (no personal data in <paramref name="problem"/>) and answers it.</summary>
    public IResult Reject(HttpContext context, int statusCode, string problem)
    {
        WebhookLog.RequestRejected(Logger, context.Request.Method, context.Request.Path, statusCode, problem);
        return WebhookResults.Text(statusCode, problem);
    }

    /// <summary>Logs a rejected request and answers it.</summary>
    public IResult Reject(HttpContext context, WebhookProblem problem) => Reject(context, problem.StatusCode, problem.Message);

    /// <summary>Logs an inbound message that was handed to the hub.</summary>
    public void LogInbound(InboundMessage message, ReplyDeliveryOutcome outcome) =>
        WebhookLog.InboundAccepted(Logger, message.Provider, message.Channel, message.MessageId,
            WebhookLog.Phone(message.From, MaskPersonalData), WebhookLog.Phone(message.To, MaskPersonalData),
            message.Text.Length, message.Media.Count, outcome.ToString());
}
