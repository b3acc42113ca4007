using InCallMessaging.AspNetCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the webhook endpoints' options. Optional: the endpoints run on defaults without it.</summary>
public static class WebhookServiceCollectionExtensions
{
    /// <summary>Binds <see cref="WebhookOptions"/> from <paramref name="section"/> (usually <c>InCallMessaging:Webhooks</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding the webhook options.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddInCallMessagingWebhooks(this IServiceCollection services, IConfiguration section) =>
        services.AddInCallMessagingWebhooks(section, configure: null);

    /// <summary>Binds <see cref="WebhookOptions"/> from <paramref name="section"/>, then applies <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding the webhook options.</param>
    /// <param name="configure">Further changes applied after binding.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddInCallMessagingWebhooks(this IServiceCollection services, IConfiguration section, Action<WebhookOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var builder = AddCore(services).Bind(section);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    /// <summary>Registers <see cref="WebhookOptions"/> with their defaults.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddInCallMessagingWebhooks(this IServiceCollection services) =>
        services.AddInCallMessagingWebhooks(configure: null);

    /// <summary>Registers <see cref="WebhookOptions"/> configured in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddInCallMessagingWebhooks(this IServiceCollection services, Action<WebhookOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = AddCore(services);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    private static OptionsBuilder<WebhookOptions> AddCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());
        return services.AddOptions<WebhookOptions>().ValidateOnStart();
    }
}
