using InCallMessaging.Meta;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers WhatsApp through Meta's Cloud API: the message provider senders name with <c>"Provider": "Meta"</c>, the
/// options its webhook (<c>MapMetaWhatsAppWebhook</c>) checks with, validated at start-up, and the download of inbound
/// media through <see cref="IReplyMediaFetcher"/> with the access token (on Meta's hosts only; another provider's media,
/// Twilio's say, keep their own credentials whichever provider is added first).
/// </summary>
public static class InCallMessagingMetaServiceCollectionExtensions
{
    /// <summary>Adds the Meta provider with options bound from <paramref name="section"/> (usually <c>InCallMessaging:Meta</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding <see cref="MetaWhatsAppOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingMetaWhatsApp(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<MetaWhatsAppOptions>().Bind(section);
        return services.AddMetaProvider();
    }

    /// <summary>Adds the Meta provider with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the <see cref="MetaWhatsAppOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingMetaWhatsApp(this IServiceCollection services, Action<MetaWhatsAppOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MetaWhatsAppOptions>().Configure(configure);
        return services.AddMetaProvider();
    }

    private static IServiceCollection AddMetaProvider(this IServiceCollection services)
    {
        services.AddOptions<MetaWhatsAppOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetaWhatsAppOptions>, MetaWhatsAppOptionsValidator>());
        if (services.Any(static d => d.ServiceType == typeof(IMessageProvider) && d.ImplementationType == typeof(MetaMessageProvider)))
        {
            return services;
        }

        services.AddHttpClient(MetaMessageProvider.HttpClientName, static client =>
        {
            // The provider enforces MetaWhatsAppOptions.RequestTimeout itself, so it can tell a timeout from a cancellation.
            client.Timeout = Timeout.InfiniteTimeSpan;
            client.MaxResponseContentBufferSize = 1024 * 1024;
        }).ConfigureAdditionalHttpMessageHandlers(static (handlers, _) =>
        {
            // A host-wide resilience handler (ConfigureHttpClientDefaults) would retry a send after a 500 or a timeout and
            // could text the caller twice: this client keeps only the provider's own, safe retries.
            for (var i = handlers.Count - 1; i >= 0; i--)
            {
                if (handlers[i].GetType().FullName is "Microsoft.Extensions.Http.Resilience.ResilienceHandler"
                    or "Microsoft.Extensions.Http.PolicyHttpMessageHandler")
                {
                    handlers.RemoveAt(i);
                }
            }
        });
        services.TryAddSingleton<MetaWebhookEndpoints>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageProvider, MetaMessageProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IReplyMediaAccess, MetaMediaAccess>(static sp => new MetaMediaAccess(
            sp.GetRequiredService<IOptionsMonitor<MetaWhatsAppOptions>>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<IReplyMediaFetcher>() ?? NullLogger<IReplyMediaFetcher>.Instance)));
        HttpReplyMediaFetcher.Register(services);
        return services;
    }
}
