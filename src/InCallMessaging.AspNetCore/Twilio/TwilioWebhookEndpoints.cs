using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Http;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.AspNetCore.Twilio;

/// <summary>
/// The Twilio inbound-message and status-callback endpoints. Each checks the signature itself (the same check as
/// <c>ValidateTwilioSignature()</c>) and decodes the form once for both the signature and the parser.
/// </summary>
internal sealed class TwilioWebhookEndpoints(WebhookEndpointContext endpoint)
{
    /// <summary><c>POST {prefix}/messages</c>: an inbound SMS or WhatsApp message, answered with empty TwiML.</summary>
    public async Task InboundAsync(HttpContext context)
    {
        if (await SignedFormAsync(context) is not { } form)
        {
            return;
        }

        InboundMessage? message;
        string? problem;
        using (form)
        {
            // The message's fields are strings of their own: the pooled body goes back before the hub runs.
            TwilioWebhookParser.TryParseInbound(form, out message, out problem, endpoint.Now);
        }

        if (message is null)
        {
            await endpoint.Reject(context, StatusCodes.Status400BadRequest, problem!).ExecuteAsync(context);
            return;
        }

        await endpoint.DeliverAsync(message);
        await WebhookResults.Twiml().ExecuteAsync(context);
    }

    /// <summary><c>POST {prefix}/status</c>: a delivery-status callback for an outbound message.</summary>
    public async Task StatusAsync(HttpContext context)
    {
        if (await SignedFormAsync(context) is not { } form)
        {
            return;
        }

        DeliveryStatusUpdate? update;
        string? problem;
        using (form)
        {
            TwilioWebhookParser.TryParseStatus(form, out update, out problem);
        }

        if (update is null)
        {
            await endpoint.Reject(context, StatusCodes.Status400BadRequest, problem!).ExecuteAsync(context);
            return;
        }

        // In-memory and idempotent; not cancelled with the request so a status is never half applied.
        var outcome = await endpoint.Hub.ApplyStatusAsync(update, CancellationToken.None);
        WebhookLog.StatusAccepted(endpoint.Logger, update.Status, update.MessageId, update.ErrorCode, outcome.ToString());
        await WebhookResults.Twiml().ExecuteAsync(context);
    }

    /// <summary>
    /// The request's decoded form when its signature matches (the caller disposes it); otherwise answers the request and
    /// returns null.
    /// </summary>
    private async ValueTask<FormBody?> SignedFormAsync(HttpContext context)
    {
        var check = await endpoint.TwilioValidator.CheckAsync(context, share: false);
        var rejection = check.Rejection
            ?? (check.Form is null ? endpoint.Reject(context, StatusCodes.Status400BadRequest, WebhookRequestReader.NotAForm(context.Request)) : null);
        if (rejection is not null)
        {
            await rejection.ExecuteAsync(context);
        }

        return rejection is null ? check.Form : null;
    }
}
