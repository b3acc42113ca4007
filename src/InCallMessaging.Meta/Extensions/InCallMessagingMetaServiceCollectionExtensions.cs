using InCallMessaging.Meta;
using InCallMessaging.SemanticKernel;
using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers WhatsApp through Meta's Cloud API: the message provider senders name with <c>"Provider": "Meta"</c>, the
/// options its webhook (<c>MapMetaWhatsAppWebhook</c>) checks with, validated at start-up, and the download of inbound
/// media through <see cref="IReplyMediaFetcher"/> with the access token. With the Twilio provider too, add this one after
/// it, so the fetcher keeps Twilio's credentials for Twilio's media.
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
        AddMediaFetcher(services);
        return services;
    }

    /// <summary>
    /// Wraps the plugin's reply-media fetcher (the default one, or the Twilio provider's when that was added first) so a
    /// Meta media URL is downloaded with the access token and every other URL goes to the wrapped fetcher unchanged. A
    /// fetcher the application registered itself is left alone: it fetches every URL, Meta's included.
    /// </summary>
    private static void AddMediaFetcher(IServiceCollection services)
    {
        HttpReplyMediaFetcher.AddHttpClient(services);
        var index = -1;
        for (var i = services.Count - 1; i >= 0 && index < 0; i--)
        {
            if (services[i].ServiceType == typeof(IReplyMediaFetcher) && !services[i].IsKeyedService)
            {
                index = i;
            }
        }

        var wrapped = index >= 0 ? services[index] : null;
        if (wrapped is not null && !IsLibraryFetcher(wrapped))
        {
            return;
        }

        var decorator = new ServiceDescriptor(typeof(IReplyMediaFetcher), sp =>
        {
            var meta = sp.GetRequiredService<IOptionsMonitor<MetaWhatsAppOptions>>();
            var plugin = sp.GetRequiredService<IOptionsMonitor<InCallMessagingOptions>>();
            // The running configuration's limits (a reload takes effect once validated); without the plugin, the configured ones.
            var running = new Lazy<RunningActions?>(() => sp.GetService<RunningActions>());
            ReplyMediaOptions Limits() => (running.Value is { } actions ? actions.Current.Options.Media : plugin.CurrentValue.Media) ?? new();

            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger<IReplyMediaFetcher>() ?? NullLogger<IReplyMediaFetcher>.Instance;
            var clients = sp.GetRequiredService<IHttpClientFactory>();
            var inner = wrapped is null ? new HttpReplyMediaFetcher(clients, Limits, credentials: null, time, logger) : Create(sp, wrapped);
            return new MetaReplyMediaFetcher(inner, clients, meta, Limits, time, logger);
        }, wrapped?.Lifetime ?? ServiceLifetime.Singleton);

        if (wrapped is null)
        {
            services.Add(decorator);
        }
        else
        {
            services[index] = decorator;
        }

        services.AddSingleton<IValidateOptions<MetaWhatsAppOptions>>(
            new MetaMediaRegistrationCheck(services, decorator, wrapsTwilio: wrapped is not null && MetaMediaRegistrationCheck.IsTwilios(wrapped)));
    }

    /// <summary>Whether <paramref name="descriptor"/> is the plugin's default fetcher or another InCallMessaging provider's.</summary>
    private static bool IsLibraryFetcher(ServiceDescriptor descriptor) =>
        (descriptor.ImplementationFactory?.Method.Module.Assembly
            ?? descriptor.ImplementationType?.Assembly
            ?? descriptor.ImplementationInstance?.GetType().Assembly) == typeof(IReplyMediaFetcher).Assembly
        || MetaMediaRegistrationCheck.IsTwilios(descriptor);

    private static IReplyMediaFetcher Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IReplyMediaFetcher)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
