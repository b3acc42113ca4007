using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the Twilio message provider (senders with <c>"Provider": "Twilio"</c>) and Twilio's webhook signature
/// settings. Every service is added only when none is registered yet, so a registration of yours made first is kept.
/// </summary>
public static class InCallMessagingTwilioServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Twilio provider with options bound from <paramref name="section"/> (usually <c>InCallMessaging:Twilio</c>),
    /// validated at start-up. The same section sets the <see cref="TwilioSignatureOptions"/> the webhooks check with.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding <see cref="TwilioOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingTwilio(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<TwilioOptions>().Bind(section);

        // AuthToken and PublicBaseUrl come through TwilioOptions (TwilioSignatureOptionsFromClient): bound here, a
        // wrong PublicBaseUrl would be reported twice. Only what sending has no use for is read from the section directly.
        services.AddSignatureOptions().Configure(options => BindAlternates(section, options));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<TwilioSignatureOptions>>(
            new ConfigurationChangeTokenSource<TwilioSignatureOptions>(Options.Options.DefaultName, section)));
        return services.AddTwilioProvider();
    }

    /// <summary>Adds the Twilio provider with options set in code, validated at start-up.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the <see cref="TwilioOptions"/>; its <c>AuthToken</c> and <c>PublicBaseUrl</c> also check webhook signatures.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingTwilio(this IServiceCollection services, Action<TwilioOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TwilioOptions>().Configure(configure);
        services.AddSignatureOptions();
        return services.AddTwilioProvider();
    }

    /// <summary>
    /// Adds only what checking <c>X-Twilio-Signature</c> needs, bound from <paramref name="section"/> (usually
    /// <c>InCallMessaging:Twilio</c>) and validated at start-up: for a host that receives Twilio's webhooks or guards
    /// its endpoints with <c>ValidateTwilioSignature()</c> but does not send through Twilio.
    /// <c>AddInCallMessagingTwilio</c> includes it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding <see cref="TwilioSignatureOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTwilioSignatureValidation(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddSignatureOptions().Bind(section);
        return services;
    }

    /// <summary>Adds only what checking <c>X-Twilio-Signature</c> needs, set in code and validated at start-up.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the <see cref="TwilioSignatureOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTwilioSignatureValidation(this IServiceCollection services, Action<TwilioSignatureOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSignatureOptions().Configure(configure);
        return services;
    }

    private static OptionsBuilder<TwilioSignatureOptions> AddSignatureOptions(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioSignatureOptions>, TwilioSignatureOptionsValidator>());
        return services.AddOptions<TwilioSignatureOptions>().ValidateOnStart();
    }

    private static void BindAlternates(IConfiguration section, TwilioSignatureOptions options)
    {
        if (section.GetSection(nameof(TwilioSignatureOptions.AlternatePublicBaseUrls)).Get<Uri[]>() is { } alternates)
        {
            foreach (var alternate in alternates)
            {
                options.AlternatePublicBaseUrls.Add(alternate);
            }
        }
    }

    private static IServiceCollection AddTwilioProvider(this IServiceCollection services)
    {
        services.AddOptions<TwilioOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioOptions>, TwilioOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<TwilioSignatureOptions>, TwilioSignatureOptionsFromClient>());

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

        // Twilio's media URLs need the account's credentials when the account requires it (HTTP Basic auth): the
        // plugin's fetcher asks this access for them, whatever the order of registration; a fetcher the application
        // registered itself is kept.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IReplyMediaAccess, TwilioMediaAccess>());
        HttpReplyMediaFetcher.Register(services);
        return services;
    }
}
