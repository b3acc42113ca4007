using InCallMessaging.AspNetCore.Custom;
using InCallMessaging.AspNetCore.Http;
using InCallMessaging.AspNetCore.Security;
using InCallMessaging.AspNetCore.Twilio;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the in-call messaging webhooks and attaches Twilio signature validation to endpoints.</summary>
public static class InCallMessagingWebhookEndpointRouteBuilderExtensions
{
    /// <summary>The default route prefix of <see cref="MapInCallMessagingWebhooks"/>.</summary>
    public const string DefaultPrefix = "/twilio";

    /// <summary>
    /// Maps every webhook under <paramref name="prefix"/>:
    /// <list type="bullet">
    /// <item><c>POST {prefix}/messages</c>: Twilio's inbound SMS/WhatsApp webhook (form POST, X-Twilio-Signature checked),
    /// answered <c>200</c> with empty TwiML.</item>
    /// <item><c>POST {prefix}/status</c>: Twilio's delivery-status callbacks (form POST, X-Twilio-Signature checked).</item>
    /// <item><c>POST {prefix}/custom/messages</c>: a custom provider's inbound messages, JSON
    /// <c>{"id":"...","from":"+1...","to":"+1...","channel":"sms"|"whatsapp","text":"..."}</c>, authenticated by the
    /// header <see cref="InCallMessaging.AspNetCore.WebhookOptions.CustomProviderSignatureHeader"/>
    /// (<c>X-InCallMessaging-Signature</c> by default) whose value is the lowercase hex HMAC-SHA256 of the raw request
    /// body keyed with the UTF-8 bytes of <see cref="InCallMessaging.AspNetCore.WebhookOptions.CustomProviderSecret"/>,
    /// optionally prefixed with <c>sha256=</c>. A missing header is answered 401, a wrong one 403. The answer is
    /// <c>200 {"outcome":"DeliveredToCall"|"DeliveredAfterCall"|"Unmatched"|"Duplicate"}</c>.</item>
    /// </list>
    /// Point Twilio's messaging webhook at <c>https://your-host{prefix}/messages</c> and send with
    /// <c>StatusCallback</c> <c>https://your-host{prefix}/status</c>. Behind a proxy or tunnel, set
    /// <c>PublicBaseUrl</c> (or use the forwarded-headers middleware) so the signed URL can be rebuilt.
    /// </summary>
    /// <param name="endpoints">The application's endpoint route builder.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <returns>The route group, to add conventions (host filters, rate limiting, tags) to all three endpoints.</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>services.AddInCallMessaging(...)</c> was not called, or no Twilio Auth Token is configured: the endpoints would
    /// have to accept unauthenticated requests.
    /// </exception>
    public static RouteGroupBuilder MapInCallMessagingWebhooks(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var services = endpoints.ServiceProvider;
        EnsureConfigured(services);

        var context = new WebhookEndpointContext(services);
        var twilio = new TwilioWebhookEndpoints(context);
        var custom = new CustomProviderEndpoint(context);

        var group = endpoints.MapGroup(prefix);
        // Plain request delegates: they check the signature themselves and decode the form once.
        group.MapPost("/messages", twilio.InboundAsync);
        group.MapPost("/status", twilio.StatusAsync);
        group.MapPost("/custom/messages", (Delegate)custom.InboundAsync);

        // The bodies are read and authenticated here; a form-antiforgery token does not apply to provider webhooks.
        group.DisableAntiforgery();
        return group;
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

    private static void EnsureConfigured(IServiceProvider services)
    {
        var problems = new List<string>();
        if (services.GetService<IServiceProviderIsService>() is { } registered && !registered.IsService(typeof(IReplyHub)))
        {
            problems.Add("IReplyHub is not registered: call services.AddInCallMessaging(...) before building the app.");
        }

        var twilio = services.GetService<IOptionsMonitor<TwilioOptions>>()?.CurrentValue;
        if (string.IsNullOrEmpty(twilio?.AuthToken))
        {
            problems.Add("InCallMessaging:Twilio:AuthToken is not configured, so X-Twilio-Signature cannot be checked: set it "
                + "(user secrets, or the environment variable InCallMessaging__Twilio__AuthToken) and call services.AddInCallMessagingTwilio(...).");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Cannot map the in-call messaging webhooks: " + string.Join(" ", problems));
        }
    }
}
