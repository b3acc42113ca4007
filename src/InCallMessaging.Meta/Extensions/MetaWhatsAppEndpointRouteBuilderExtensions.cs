using InCallMessaging.Meta;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the webhook of WhatsApp through Meta's Cloud API.</summary>
public static class MetaWhatsAppEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET {pattern}</c> (the subscription's verification challenge) and <c>POST {pattern}</c> (signed batches of
    /// messages and statuses). Enter <c>https://your-host{pattern}</c> and the <see cref="MetaWhatsAppOptions.VerifyToken"/>
    /// as the app's webhook callback, and subscribe to the <c>messages</c> field.
    /// </summary>
    /// <param name="endpoints">The application's endpoint builder.</param>
    /// <param name="pattern">The route, such as <c>/meta</c>.</param>
    /// <returns>The builder of both endpoints, to add conventions (rate limiting, host filtering).</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>AddInCallMessagingMetaWhatsApp</c> was not called, or <c>AppSecret</c> or <c>VerifyToken</c> is not set: the
    /// webhook would accept no request, so it fails at start-up, naming every missing setting.
    /// </exception>
    public static IEndpointConventionBuilder MapMetaWhatsAppWebhook(this IEndpointRouteBuilder endpoints, string pattern = "/meta")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var webhook = endpoints.ServiceProvider.GetService<MetaWebhookEndpoints>()
            ?? throw new InvalidOperationException("MapMetaWhatsAppWebhook needs services.AddInCallMessagingMetaWhatsApp(configuration.GetSection(\"InCallMessaging:Meta\")) first.");

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value;
        var missing = new List<string>();
        if (string.IsNullOrEmpty(options.AppSecret))
        {
            missing.Add($"{MetaWhatsAppOptions.SectionName}:AppSecret is missing: set the Meta app's secret (App Dashboard > App settings > Basic); it checks X-Hub-Signature-256.");
        }

        if (string.IsNullOrEmpty(options.VerifyToken))
        {
            missing.Add($"{MetaWhatsAppOptions.SectionName}:VerifyToken is missing: set the verify token you enter in the app's webhook settings.");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException("The Meta WhatsApp webhook cannot be mapped: " + string.Join(" ", missing));
        }

        var group = endpoints.MapGroup(pattern);
        group.MapGet("", webhook.Verify).ExcludeFromDescription();
        group.MapPost("", (Func<HttpContext, Task<IResult>>)webhook.ReceiveAsync).ExcludeFromDescription().DisableAntiforgery();
        return group;
    }
}
