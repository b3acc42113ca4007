using InCallMessaging.SemanticKernel;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.SemanticKernel.Sending;
using InCallMessaging.Twilio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Twilio message provider (senders with <c>"Provider": "Twilio"</c>).</summary>
public static class InCallMessagingTwilioServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Twilio provider with options bound from <paramref name="section"/> (usually <c>InCallMessaging:Twilio</c>),
    /// validated at start-up.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding <see cref="TwilioOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingTwilio(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<TwilioOptions>().Bind(section);
        return services.AddTwilioProvider();
    }

    /// <summary>Adds the Twilio provider with options set in code, validated at start-up.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the <see cref="TwilioOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingTwilio(this IServiceCollection services, Action<TwilioOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TwilioOptions>().Configure(configure);
        return services.AddTwilioProvider();
    }

    private static IServiceCollection AddTwilioProvider(this IServiceCollection services)
    {
        services.AddOptions<TwilioOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioOptions>, TwilioOptionsValidator>());

        var alreadyAdded = services.Any(static d =>
            d.ServiceType == typeof(IMessageProvider) && d.ImplementationType == typeof(TwilioMessageProvider));
        if (alreadyAdded)
        {
            return services;
        }

        var client = services.AddHttpClient(TwilioMessageProvider.HttpClientName, static client =>
        {
            // The provider enforces TwilioOptions.RequestTimeout itself, so it can tell a timeout from a cancellation.
            client.Timeout = Timeout.InfiniteTimeSpan;
            client.MaxResponseContentBufferSize = 1024 * 1024;
        });

        // A host-wide standard resilience handler (ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler()))
        // retries POSTs after 500s and timeouts and could text the caller twice: this client keeps only its own strategy.
        client.ConfigureAdditionalHttpMessageHandlers(static (handlers, _) =>
        {
            for (var i = handlers.Count - 1; i >= 0; i--)
            {
                if (handlers[i] is ResilienceHandler)
                {
                    handlers.RemoveAt(i);
                }
            }
        });
        client.AddResilienceHandler("send", static (builder, context) =>
        {
            context.EnableReloads<TwilioOptions>();
            var timeProvider = context.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
            TwilioRetry.Configure(builder, context.GetOptions<TwilioOptions>(), timeProvider);
        });

        // Innermost, so it sees each attempt of the retry strategy.
        client.AddHttpMessageHandler(static () => new TwilioAttemptTracker());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageProvider, TwilioMessageProvider>());

        // Twilio's media URLs need the account's credentials when the account requires it (HTTP Basic auth).
        HttpReplyMediaFetcher.AddHttpClient(services);
        services.Replace(ServiceDescriptor.Singleton<IReplyMediaFetcher>(static sp =>
        {
            var plugin = sp.GetRequiredService<IOptionsMonitor<InCallMessagingOptions>>();
            var twilio = sp.GetRequiredService<IOptionsMonitor<TwilioOptions>>();
            return new HttpReplyMediaFetcher(sp.GetRequiredService<IHttpClientFactory>(), () => plugin.CurrentValue.Media ?? new(),
                url => TwilioMediaCredentials.For(url, twilio.CurrentValue), sp.GetService<TimeProvider>() ?? TimeProvider.System,
                sp.GetService<ILoggerFactory>()?.CreateLogger<IReplyMediaFetcher>() ?? NullLogger<IReplyMediaFetcher>.Instance);
        }));
        return services;
    }
}
