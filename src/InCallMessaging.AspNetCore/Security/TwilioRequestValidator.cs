using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Http;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Security;

/// <summary>
/// Checks a request's <c>X-Twilio-Signature</c> against the URL Twilio called and the body it sent. Used by the
/// signature filter and, directly, by the webhook endpoints. Loopback requests get no exemption.
/// </summary>
internal sealed class TwilioRequestValidator(
    IOptionsMonitor<TwilioOptions> twilioOptions,
    IOptionsMonitor<WebhookOptions> webhookOptions,
    ILogger logger)
{
    /// <summary>The header Twilio signs its requests with.</summary>
    public const string HeaderName = "X-Twilio-Signature";

    /// <summary>The query parameter a JSON-body request carries its body hash in.</summary>
    public const string BodyHashParameter = "bodySHA256";

    /// <summary>
    /// Checks the request. A form POST's body is read and decoded once and returned with the verdict; a JSON body
    /// (with <c>bodySHA256</c>) is checked against its hash; anything else is checked as Twilio signs it, URL alone.
    /// </summary>
    /// <param name="http">The request's context.</param>
    /// <param name="share">
    /// Whether an endpoint behind the check reads the body (or <see cref="HttpRequest.Form"/>) again; the webhook
    /// endpoints use the returned form and pass <see langword="false"/>.
    /// </param>
    /// <returns>
    /// The decoded form (form POSTs only), or the answer to give instead of running the endpoint. Without
    /// <paramref name="share"/>, the caller disposes the form when it is done with it (its body is pooled).
    /// </returns>
    public async ValueTask<TwilioRequestCheck> CheckAsync(HttpContext http, bool share)
    {
        var request = http.Request;
        var authToken = twilioOptions.CurrentValue.AuthToken;
        if (string.IsNullOrEmpty(authToken))
        {
            WebhookLog.TwilioAuthTokenMissing(logger, request.Method, request.Path);
            return new(null, WebhookResults.Text(StatusCodes.Status500InternalServerError,
                "Webhook authentication is not configured on this server."));
        }

        var signature = request.Headers[HeaderName].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return new(null, Reject(request, "is missing"));
        }

        var webhooks = webhookOptions.CurrentValue;
        var urls = TwilioRequestUrl.Build(request, webhooks.PublicBaseUrl ?? twilioOptions.CurrentValue.PublicBaseUrl);
        FormBody? form = null;
        var valid = false;
        if (WebhookRequestReader.IsForm(request))
        {
            (form, var problem) = await WebhookRequestReader.ReadFormAsync(http, webhooks.MaxBodyBytes, share);
            if (form is null)
            {
                return new(null, Refuse(request, problem!.Value));
            }

            for (var i = 0; i < urls.Count && !valid; i++)
            {
                valid = TwilioSignature.IsValid(urls[i], form, signature, authToken);
            }
        }
        else if (request.Query.ContainsKey(BodyHashParameter))
        {
            var (body, problem) = await WebhookRequestReader.ReadBodyAsync(http, webhooks.MaxBodyBytes, share);
            if (body is null)
            {
                return new(null, Refuse(request, problem!.Value));
            }

            for (var i = 0; i < urls.Count && !valid; i++)
            {
                valid = TwilioSignature.IsValidJsonBody(urls[i], body, signature, authToken);
            }
        }
        else
        {
            // Not a form: Twilio signs the URL alone. The endpoint then decides whether it accepts the content type.
            for (var i = 0; i < urls.Count && !valid; i++)
            {
                valid = TwilioSignature.IsValid(urls[i], [], signature, authToken);
            }
        }

        if (valid)
        {
            return new(form, null);
        }

        form?.Dispose();
        return new(null, Reject(request, "does not match"));
    }

    private IResult Refuse(HttpRequest request, WebhookProblem problem)
    {
        WebhookLog.RequestRejected(logger, request.Method, request.Path, problem.StatusCode, problem.Message);
        return WebhookResults.Text(problem.StatusCode, problem.Message);
    }

    private IResult Reject(HttpRequest request, string reason)
    {
        WebhookLog.TwilioSignatureRejected(logger, request.Method, request.Path, reason);
        return WebhookResults.Text(StatusCodes.Status403Forbidden, "Invalid or missing X-Twilio-Signature.");
    }
}

/// <summary>The verdict on a Twilio request: its decoded form when it is a signed form POST, or the answer to give instead.</summary>
/// <param name="Form">The decoded form body (form POSTs only).</param>
/// <param name="Rejection">The answer to give instead of running the endpoint, or <see langword="null"/> when the signature matches.</param>
internal readonly record struct TwilioRequestCheck(FormBody? Form, IResult? Rejection);
