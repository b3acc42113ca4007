using InCallMessaging.SemanticKernel;
using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.AspNetCore.Security;
using InCallMessaging.Twilio;
using InCallMessaging.Twilio.Internal;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.AspNetCore.Twilio;

/// <summary>
/// The Twilio inbound-message and status-callback endpoints. Each checks the signature itself (the same check as
/// <c>ValidateTwilioSignature()</c>) and decodes the form once, in a pooled buffer, for both the signature and the
/// parser: nothing behind these endpoints reads the body, so the form's lease ends before they answer.
/// </summary>
internal sealed class TwilioWebhookEndpoints(WebhookEndpointContext endpoint, TwilioRequestValidator validator)
{
    /// <summary><c>POST {prefix}/messages</c>: an inbound SMS or WhatsApp message, answered with empty TwiML.</summary>
    public async Task InboundAsync(HttpContext context)
    {
        if (await SignedAndParsedAsync(context, ParseInbound) is not { } message)
        {
            return;
        }

        try
        {
            await endpoint.DeliverAsync(message);
        }
        catch (StateStoreException ex)
        {
            await endpoint.StoreUnavailable(context, ex).ExecuteAsync(context);
            return;
        }

        await WebhookResults.Twiml().ExecuteAsync(context);
    }

    /// <summary><c>POST {prefix}/status</c>: a delivery-status callback for an outbound message.</summary>
    public async Task StatusAsync(HttpContext context)
    {
        if (await SignedAndParsedAsync(context, ParseStatus) is not { } update)
        {
            return;
        }

        // The send's own reference rides on the callback URL (signed with it), so a send whose answer never came is settled.
        if (TwilioWebhookParser.ClientReference(context.Request.Query[TwilioMessageProvider.StatusCallbackReference]) is { } reference)
        {
            update = update with { ClientReference = reference };
        }

        // Idempotent; not cancelled with the request so a status is never half applied.
        StatusUpdateOutcome outcome;
        try
        {
            outcome = await endpoint.Hub.ApplyStatusAsync(update, CancellationToken.None);
        }
        catch (StateStoreException ex)
        {
            await endpoint.StoreUnavailable(context, ex).ExecuteAsync(context);
            return;
        }

        WebhookLog.StatusAccepted(endpoint.Logger, update.Status, update.MessageId, update.ErrorCode, outcome.ToString());
        await WebhookResults.Twiml().ExecuteAsync(context);
    }

    private delegate T? FormParser<T>(FormBody form, DateTimeOffset receivedAt, out string? problem)
        where T : class;

    private static readonly FormParser<InboundMessage> ParseInbound = static (FormBody form, DateTimeOffset receivedAt, out string? problem) =>
        TwilioWebhookParser.TryParseInbound(form, out var message, out problem, receivedAt) ? message : null;

    private static readonly FormParser<DeliveryStatusUpdate> ParseStatus = static (FormBody form, DateTimeOffset _, out string? problem) =>
        TwilioWebhookParser.TryParseStatus(form, out var update, out problem) ? update : null;

    /// <summary>
    /// The request's form, parsed, when its signature matches and it parses; otherwise answers the request (403 or 400)
    /// and returns null. The pooled body goes back before this returns: what is parsed holds strings of its own.
    /// </summary>
    private async ValueTask<T?> SignedAndParsedAsync<T>(HttpContext context, FormParser<T> parse)
        where T : class
    {
        if (await SignedFormAsync(context) is not { } lease)
        {
            return null;
        }

        T? parsed;
        string? problem;
        using (lease)
        {
            parsed = parse(lease.Form, endpoint.Now, out problem);
        }

        if (parsed is null)
        {
            await endpoint.Reject(context, StatusCodes.Status400BadRequest, problem ?? "The form could not be read.").ExecuteAsync(context);
        }

        return parsed;
    }

    /// <summary>
    /// The request's decoded form when its signature matches (the caller disposes the lease); otherwise answers the
    /// request and returns null.
    /// </summary>
    private async ValueTask<FormLease?> SignedFormAsync(HttpContext context)
    {
        var check = await validator.CheckAsync(context);
        var rejection = check.Rejection
            ?? (check.Form is null ? endpoint.Reject(context, StatusCodes.Status400BadRequest, WebhookBodyReader.NotAForm(context.Request)) : null);
        if (rejection is not null)
        {
            await rejection.ExecuteAsync(context);
        }

        return rejection is null ? check.Form : null;
    }
}
