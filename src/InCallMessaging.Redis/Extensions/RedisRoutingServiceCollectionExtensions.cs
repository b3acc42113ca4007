using InCallMessaging.Redis;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers reply routing between instances through Redis.</summary>
public static class RedisRoutingServiceCollectionExtensions
{
    /// <summary>
    /// Routes replies and delivery statuses to the instance that holds their live call, when several instances serve
    /// one number behind a load balancer: <see cref="RedisReplyRouter"/> replaces the single-instance router and runs as
    /// a hosted service (it reads this instance's inbox and renews its claims). It uses the Redis store's connection
    /// and key prefix, so call <c>AddInCallMessagingRedisStore</c> too.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the instance id, lease, poll interval and delivery attempts; the defaults suit most hosts.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingRedisRouting(this IServiceCollection services, Action<RedisRoutingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<RedisRoutingOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(provider => new RedisReplyRouter(
            provider.GetService<RedisStateStore>() ?? throw new InvalidOperationException(
                "Redis routing needs the Redis store (it shares its connection and key prefix): call services.AddInCallMessagingRedisStore(...) as well as AddInCallMessagingRedisRouting()."),
            provider.GetRequiredService<IOptions<RedisRoutingOptions>>().Value,
            provider,
            (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<RedisReplyRouter>()));

        // Replace, not TryAdd: the core registers the single-instance router with TryAdd, so this wins in either order.
        services.Replace(ServiceDescriptor.Singleton<IReplyRouter>(provider => provider.GetRequiredService<RedisReplyRouter>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisReplyRouter>(provider => provider.GetRequiredService<RedisReplyRouter>()));
        return services;
    }
}
