using InCallMessaging.SemanticKernel;
using InCallMessaging.AspNetCore;
using InCallMessaging.AspNetCore.Custom;
using InCallMessaging.AspNetCore.Diagnostics;
using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.AspNetCore.Security;
using InCallMessaging.AspNetCore.Twilio;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps the in-call messaging webhooks (Twilio's, a custom provider's, or both) and attaches Twilio signature validation
/// to endpoints.
/// </summary>
public static class InCallMessagingWebhookEndpointRouteBuilderExtensions
{
    /// <summary>The default route prefix of <see cref="MapInCallMessagingWebhooks"/> and <see cref="MapTwilioMessagingWebhooks"/>.</summary>
    public const string DefaultPrefix = "/twilio";

    /// <summary>The default route of <see cref="MapCustomMessagingWebhook"/>, and the custom endpoint's route under <see cref="MapInCallMessagingWebhooks"/>'s prefix.</summary>
    public const string DefaultCustomPattern = "/custom/messages";

    /// <summary>
    /// Maps every webhook under <paramref name="prefix"/>: <see cref="MapTwilioMessagingWebhooks"/> (<c>POST {prefix}/messages</c>
    /// and <c>POST {prefix}/status</c>) and <see cref="MapCustomMessagingWebhook"/> at <c>POST {prefix}/custom/messages</c>.
    /// Point Twilio's messaging webhook at <c>https://your-host{prefix}/messages</c> and send with
    /// <c>StatusCallback</c> <c>https://your-host{prefix}/status</c>. Behind a proxy or tunnel, set
    /// <c>PublicBaseUrl</c> (or use the forwarded-headers middleware) so the signed URL can be rebuilt.
    /// </summary>
    /// <param name="endpoints">The application's endpoint route builder.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <returns>The route group, to add conventions (host filters, rate limiting, tags) to all three endpoints.</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>services.AddInCallMessaging(...)</c> was not called, or no Twilio Auth Token is configured: the Twilio endpoints
    /// would have to accept unauthenticated requests.
    /// </exception>
    public static RouteGroupBuilder MapInCallMessagingWebhooks(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        EnsureConfigured(endpoints.ServiceProvider, twilio: true, "the in-call messaging webhooks");

        var group = endpoints.MapGroup(prefix);
        MapTwilio(group);
        MapCustom(group, DefaultCustomPattern);
        return group;
    }

    /// <summary>
    /// Maps Twilio's messaging webhooks under <paramref name="prefix"/>:
    /// <list type="bullet">
    /// <item><c>POST {prefix}/messages</c>: Twilio's inbound SMS/WhatsApp webhook (form POST, X-Twilio-Signature checked),
    /// answered <c>200</c> with empty TwiML.</item>
    /// <item><c>POST {prefix}/status</c>: Twilio's delivery-status callbacks (form POST, X-Twilio-Signature checked).</item>
    /// </list>
    /// Signatures are checked with <see cref="InCallMessaging.Twilio.TwilioSignatureOptions"/> (set by
    /// <c>AddInCallMessagingTwilio</c>, or by <c>AddTwilioSignatureValidation</c> on a host that does not send).
    /// </summary>
    /// <param name="endpoints">The application's endpoint route builder.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <returns>The route group, to add conventions to both endpoints.</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>services.AddInCallMessaging(...)</c> was not called, or no Twilio Auth Token is configured.
    /// </exception>
    public static RouteGroupBuilder MapTwilioMessagingWebhooks(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        EnsureConfigured(endpoints.ServiceProvider, twilio: true, "the Twilio messaging webhooks");

        var group = endpoints.MapGroup(prefix);
        MapTwilio(group);
        return group;
    }

    /// <summary>
    /// Maps a custom provider's inbound-message webhook at <c>POST {pattern}</c>: JSON
    /// <c>{"id":"...","from":"+1...","to":"+1...","channel":"sms"|"whatsapp","text":"..."}</c>, authenticated by the
    /// header <see cref="InCallMessaging.AspNetCore.WebhookOptions.CustomProviderSignatureHeader"/>
    /// (<c>X-InCallMessaging-Signature</c> by default) whose value is the lowercase hex HMAC-SHA256 of the raw request
    /// body keyed with the UTF-8 bytes of <see cref="InCallMessaging.AspNetCore.WebhookOptions.CustomProviderSecret"/>,
    /// optionally prefixed with <c>sha256=</c>. A missing header is answered 401, a wrong one 403. The answer is
    /// <c>200 {"outcome":"DeliveredToCall"|"DeliveredAfterCall"|"Unmatched"|"Duplicate"}</c>. Needs no Twilio settings.
    /// </summary>
    /// <param name="endpoints">The application's endpoint route builder.</param>
    /// <param name="pattern">The route.</param>
    /// <returns>The endpoint's builder, to add conventions to it.</returns>
    /// <exception cref="InvalidOperationException"><c>services.AddInCallMessaging(...)</c> was not called.</exception>
    public static RouteHandlerBuilder MapCustomMessagingWebhook(this IEndpointRouteBuilder endpoints, string pattern = DefaultCustomPattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        EnsureConfigured(endpoints.ServiceProvider, twilio: false, "the custom messaging webhook");
        return MapCustom(endpoints, pattern);
    }

    /// <summary>
    /// Adds X-Twilio-Signature validation to an endpoint or route group: the URL Twilio called is rebuilt (from
    /// <c>PublicBaseUrl</c> when configured, otherwise from the request), the form parameters are sorted and signed with
    /// the configured Auth Token, both port variants are tried and the result is compared in constant time. A missing
    /// or wrong signature is answered 403 and the endpoint does not run; requests from loopback get no exemption.
    /// Without a configured Auth Token every request is refused with 500 and an error is logged.
    /// A WebSocket upgrade (ConversationRelay, Media Streams) is checked against the <c>wss://</c> URL Twilio connected
    /// to (<c>ws://</c> on plain HTTP) and then its <c>https://</c> spelling, with no form parameters.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint or route group builder.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder ValidateTwilioSignature<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, TwilioSignatureFilter>();

    private static void MapTwilio(IEndpointRouteBuilder group)
    {
        var services = group.ServiceProvider;
        var validator = new TwilioRequestValidator(
            services.GetRequiredService<IOptionsMonitor<TwilioSignatureOptions>>(),
            services.GetRequiredService<IOptionsMonitor<WebhookOptions>>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger(WebhookLog.Category));
        var twilio = new TwilioWebhookEndpoints(new WebhookEndpointContext(services), validator);

        // Plain request delegates: they check the signature themselves and decode the form once. The bodies are read
        // and authenticated here; a form-antiforgery token does not apply to provider webhooks.
        group.MapPost("/messages", twilio.InboundAsync).DisableAntiforgery();
        group.MapPost("/status", twilio.StatusAsync).DisableAntiforgery();
    }

    private static RouteHandlerBuilder MapCustom(IEndpointRouteBuilder endpoints, string pattern)
    {
        var custom = new CustomProviderEndpoint(new WebhookEndpointContext(endpoints.ServiceProvider));
        return endpoints.MapPost(pattern, (Delegate)custom.InboundAsync).DisableAntiforgery();
    }

    private static void EnsureConfigured(IServiceProvider services, bool twilio, string what)
    {
        var problems = new List<string>();
        if (services.GetService<IServiceProviderIsService>() is { } registered && !registered.IsService(typeof(IReplyHub)))
        {
            problems.Add("IReplyHub is not registered: call services.AddInCallMessaging(...) before building the app.");
        }

        if (twilio && string.IsNullOrEmpty(services.GetService<IOptionsMonitor<TwilioSignatureOptions>>()?.CurrentValue.AuthToken))
        {
            problems.Add("InCallMessaging:Twilio:AuthToken is not configured, so X-Twilio-Signature cannot be checked: set it "
                + "(user secrets, or the environment variable InCallMessaging__Twilio__AuthToken) and call services.AddInCallMessagingTwilio(...) "
                + "(or services.AddTwilioSignatureValidation(...) on a host that does not send through Twilio).");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Cannot map {what}: " + string.Join(" ", problems));
        }
    }
}
