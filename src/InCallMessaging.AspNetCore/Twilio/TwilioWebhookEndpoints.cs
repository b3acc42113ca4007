using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Http;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.AspNetCore.Twilio;

/// <summary>The Twilio inbound-message and status-callback endpoints. The signature filter has run before them.</summary>
internal sealed class TwilioWebhookEndpoints(WebhookEndpointContext endpoint)
{
    /// <summary><c>POST {prefix}/messages</c>: an inbound SMS or WhatsApp message, answered with empty TwiML.</summary>
    public async Task<IResult> InboundAsync(HttpContext context)
    {
        if (!WebhookRequestReader.IsForm(context.Request))
        {
            return endpoint.Reject(context, StatusCodes.Status400BadRequest, WebhookRequestReader.NotAForm(context.Request));
        }

        var (form, readProblem) = await WebhookRequestReader.ReadFormAsync(context, endpoint.Options.MaxBodyBytes);
        if (form is null)
        {
            return endpoint.Reject(context, readProblem!.Value);
        }

        if (!TwilioWebhookParser.TryParseInbound(form, out var message, out var problem))
        {
            return endpoint.Reject(context, StatusCodes.Status400BadRequest, problem!);
        }

        await endpoint.DeliverAsync(message!);
        return WebhookResults.Twiml();
    }

    /// <summary><c>POST {prefix}/status</c>: a delivery-status callback for an outbound message.</summary>
    public async Task<IResult> StatusAsync(HttpContext context)
    {
        if (!WebhookRequestReader.IsForm(context.Request))
        {
            return endpoint.Reject(context, StatusCodes.Status400BadRequest, WebhookRequestReader.NotAForm(context.Request));
        }

        var (form, readProblem) = await WebhookRequestReader.ReadFormAsync(context, endpoint.Options.MaxBodyBytes);
        if (form is null)
        {
            return endpoint.Reject(context, readProblem!.Value);
        }

        if (!TwilioWebhookParser.TryParseStatus(form, out var update, out var problem))
        {
            return endpoint.Reject(context, StatusCodes.Status400BadRequest, problem!);
        }

        // In-memory and idempotent; not cancelled with the request so a status is never half applied.
        var outcome = await endpoint.Hub.ApplyStatusAsync(update!, CancellationToken.None);
        WebhookLog.StatusAccepted(endpoint.Logger, update!.Status, update.MessageId, update.ErrorCode, outcome.ToString());
        return WebhookResults.Twiml();
    }
}
