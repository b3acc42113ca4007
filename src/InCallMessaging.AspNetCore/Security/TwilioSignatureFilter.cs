using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Security;

/// <summary>
/// Lets a request through only when its <c>X-Twilio-Signature</c> matches the URL Twilio called and the body it sent.
/// A missing or wrong signature is answered 403 and the endpoint never runs. Loopback requests get no exemption.
/// The body stays readable, and a signed form stays readable through <see cref="HttpRequest.Form"/>.
/// </summary>
internal sealed class TwilioSignatureFilter(
    IOptionsMonitor<TwilioSignatureOptions> signatureOptions,
    IOptionsMonitor<WebhookOptions> webhookOptions,
    ILoggerFactory loggerFactory) : IEndpointFilter
{
    private readonly TwilioRequestValidator _validator =
        new(signatureOptions, webhookOptions, loggerFactory.CreateLogger(WebhookLog.Category));

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        await _validator.CheckKeepingBodyAsync(context.HttpContext) ?? await next(context);
}
