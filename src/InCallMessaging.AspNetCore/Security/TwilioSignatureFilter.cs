using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Http;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Security;

/// <summary>
/// Lets a request through only when its <c>X-Twilio-Signature</c> matches the URL Twilio called and the body it sent.
/// A missing or wrong signature is answered 403 and the endpoint never runs. Loopback requests get no exemption.
/// </summary>
internal sealed class TwilioSignatureFilter(
    IOptionsMonitor<TwilioOptions> twilioOptions,
    IOptionsMonitor<WebhookOptions> webhookOptions,
    ILoggerFactory loggerFactory) : IEndpointFilter
{
    /// <summary>The header Twilio signs its requests with.</summary>
    public const string HeaderName = "X-Twilio-Signature";

    /// <summary>The query parameter a JSON-body request carries its body hash in.</summary>
    public const string BodyHashParameter = "bodySHA256";

    private readonly ILogger _logger = loggerFactory.CreateLogger(WebhookLog.Category);

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var authToken = twilioOptions.CurrentValue.AuthToken;
        if (string.IsNullOrEmpty(authToken))
        {
            WebhookLog.TwilioAuthTokenMissing(_logger, request.Method, request.Path);
            return WebhookResults.Text(StatusCodes.Status500InternalServerError,
                "Webhook authentication is not configured on this server.");
        }

        var signature = request.Headers[HeaderName].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return Reject(request, "is missing");
        }

        var webhooks = webhookOptions.CurrentValue;
        var urls = TwilioRequestUrl.Build(request, webhooks.PublicBaseUrl ?? twilioOptions.CurrentValue.PublicBaseUrl);
        bool valid;
        if (WebhookRequestReader.IsForm(request))
        {
            var (form, problem) = await WebhookRequestReader.ReadFormAsync(http, webhooks.MaxBodyBytes);
            if (form is null)
            {
                return Refuse(request, problem!.Value);
            }

            var pairs = WebhookRequestReader.Pairs(form);
            valid = false;
            for (var i = 0; i < urls.Count && !valid; i++)
            {
                valid = TwilioSignature.IsValid(urls[i], pairs, signature, authToken);
            }
        }
        else if (request.Query.ContainsKey(BodyHashParameter))
        {
            var (body, problem) = await WebhookRequestReader.ReadBodyAsync(http, webhooks.MaxBodyBytes);
            if (body is null)
            {
                return Refuse(request, problem!.Value);
            }

            valid = urls.Any(url => TwilioSignature.IsValidJsonBody(url, body, signature, authToken));
        }
        else
        {
            // Not a form: Twilio signs the URL alone. The endpoint then decides whether it accepts the content type.
            valid = urls.Any(url => TwilioSignature.IsValid(url, [], signature, authToken));
        }

        return valid ? await next(context) : Reject(request, "does not match");
    }

    private IResult Refuse(HttpRequest request, WebhookProblem problem)
    {
        WebhookLog.RequestRejected(_logger, request.Method, request.Path, problem.StatusCode, problem.Message);
        return WebhookResults.Text(problem.StatusCode, problem.Message);
    }

    private IResult Reject(HttpRequest request, string reason)
    {
        WebhookLog.TwilioSignatureRejected(_logger, request.Method, request.Path, reason);
        return WebhookResults.Text(StatusCodes.Status403Forbidden, "Invalid or missing X-Twilio-Signature.");
    }
}
