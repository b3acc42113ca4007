using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.Twilio;
using InCallMessaging.Twilio.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Security;

/// <summary>
/// Checks a request's <c>X-Twilio-Signature</c> against the URL Twilio called (<see cref="TwilioSignedUrl"/>) and the
/// body it sent. The webhook endpoints use it directly; <see cref="TwilioSignatureFilter"/> uses it for any endpoint.
/// Loopback requests get no exemption.
/// </summary>
internal sealed class TwilioRequestValidator(
    IOptionsMonitor<TwilioSignatureOptions> signatureOptions,
    IOptionsMonitor<WebhookOptions> webhookOptions,
    ILogger logger)
{
    /// <summary>The header Twilio signs its requests with.</summary>
    public const string HeaderName = "X-Twilio-Signature";

    /// <summary>The query parameter a JSON-body request carries its body hash in.</summary>
    public const string BodyHashParameter = "bodySHA256";

    /// <summary>
    /// Checks a request whose body only the caller reads: a form POST's body is decoded once, in a pooled buffer, and
    /// returned with the verdict; a JSON body (with <c>bodySHA256</c>) is checked against its hash; anything else is
    /// checked as Twilio signs it, URL alone.
    /// </summary>
    /// <returns>
    /// The decoded form (signed form POSTs only; the caller disposes it), or the answer to give instead of running the
    /// endpoint.
    /// </returns>
    public async ValueTask<TwilioRequestCheck> CheckAsync(HttpContext http)
    {
        if (Precheck(http.Request, out var authToken, out var signature) is { } refused)
        {
            return new(null, refused);
        }

        var request = http.Request;
        var urls = TwilioSignedUrl.Candidates(request, signatureOptions.CurrentValue, webhookOptions.CurrentValue);
        if (!WebhookBodyReader.IsForm(request))
        {
            return new(null, await CheckOtherAsync(http, urls, signature, authToken));
        }

        var (form, problem) = await WebhookBodyReader.ReadFormAsync(http, webhookOptions.CurrentValue.MaxBodyBytes);
        if (form is null)
        {
            return new(null, Refuse(request, problem!.Value));
        }

        if (AnyMatches(urls, form.Form, signature, authToken))
        {
            return new(form, null);
        }

        form.Dispose();
        return new(null, Reject(request, "does not match"));
    }

    /// <summary>
    /// Checks a request that an endpoint behind the check reads as well: the body stays readable through
    /// <see cref="HttpRequest.Body"/>, and a signed form through <see cref="HttpRequest.Form"/> (decoded once, here).
    /// </summary>
    /// <returns>The answer to give instead of running the endpoint, or <see langword="null"/> when the signature matches.</returns>
    public async ValueTask<IResult?> CheckKeepingBodyAsync(HttpContext http)
    {
        if (Precheck(http.Request, out var authToken, out var signature) is { } refused)
        {
            return refused;
        }

        var request = http.Request;
        var urls = TwilioSignedUrl.Candidates(request, signatureOptions.CurrentValue, webhookOptions.CurrentValue);
        if (!WebhookBodyReader.IsForm(request))
        {
            return await CheckOtherAsync(http, urls, signature, authToken);
        }

        var (body, problem) = await WebhookBodyReader.ReadBytesAsync(http, webhookOptions.CurrentValue.MaxBodyBytes);
        if (body is null)
        {
            return Refuse(request, problem!.Value);
        }

        KeepBody(http, body);
        if (!FormBody.TryParse(body, out var form, out var notAForm))
        {
            return Refuse(request, new WebhookProblem(StatusCodes.Status400BadRequest, $"The form body could not be parsed: {notAForm}"));
        }

        if (!AnyMatches(urls, form, signature, authToken))
        {
            return Reject(request, "does not match");
        }

        http.Features.Set<Microsoft.AspNetCore.Http.Features.IFormFeature>(new FormBodyFeature(form));
        return null;
    }

    /// <summary>The answer when the request cannot be checked at all (no token configured, no signature sent), before its body is read.</summary>
    private IResult? Precheck(HttpRequest request, out string authToken, out string signature)
    {
        authToken = signatureOptions.CurrentValue.AuthToken ?? "";
        signature = "";
        if (authToken.Length == 0)
        {
            WebhookLog.TwilioAuthTokenMissing(logger, request.Method, request.Path);
            return WebhookResults.Text(StatusCodes.Status500InternalServerError, "Webhook authentication is not configured on this server.");
        }

        signature = request.Headers[HeaderName].ToString();
        return string.IsNullOrEmpty(signature) ? Reject(request, "is missing") : null;
    }

    /// <summary>
    /// A request that is not a form: a JSON body with <c>bodySHA256</c> is checked with its hash (and left readable: it
    /// is not a webhook this library parses), anything else by its URL alone.
    /// </summary>
    private async ValueTask<IResult?> CheckOtherAsync(HttpContext http, IReadOnlyList<string> urls, string signature, string authToken)
    {
        var request = http.Request;
        var valid = false;
        if (request.Query.ContainsKey(BodyHashParameter))
        {
            var (body, problem) = await WebhookBodyReader.ReadBytesAsync(http, webhookOptions.CurrentValue.MaxBodyBytes);
            if (body is null)
            {
                return Refuse(request, problem!.Value);
            }

            KeepBody(http, body);
            for (var i = 0; i < urls.Count && !valid; i++)
            {
                valid = TwilioSignature.IsValidJsonBody(urls[i], body, signature, authToken);
            }
        }
        else
        {
            // Twilio signs the URL alone. The endpoint then decides whether it accepts the content type.
            for (var i = 0; i < urls.Count && !valid; i++)
            {
                valid = TwilioSignature.IsValid(urls[i], [], signature, authToken);
            }
        }

        return valid ? null : Reject(request, "does not match");
    }

    private static bool AnyMatches(IReadOnlyList<string> urls, FormBody form, string signature, string authToken)
    {
        var valid = false;
        for (var i = 0; i < urls.Count && !valid; i++)
        {
            valid = TwilioSignature.IsValid(urls[i], form, signature, authToken);
        }

        return valid;
    }

    /// <summary>Leaves the body that was read for the endpoint behind the check.</summary>
    private static void KeepBody(HttpContext http, byte[] body) => http.Request.Body = new MemoryStream(body, writable: false);

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
/// <param name="Form">The decoded form body (form POSTs only), owned by the caller.</param>
/// <param name="Rejection">The answer to give instead of running the endpoint, or <see langword="null"/> when the signature matches.</param>
internal readonly record struct TwilioRequestCheck(FormLease? Form, IResult? Rejection);
