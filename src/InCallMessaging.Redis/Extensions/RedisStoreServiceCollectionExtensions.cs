using InCallMessaging.Redis;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis state store in place of the in-memory defaults.</summary>
public static class RedisStoreServiceCollectionExtensions
{
    /// <summary>
    /// Keeps consent, the message log and webhook deduplication in Redis, shared by every host that uses it. One
    /// <see cref="RedisStateStore"/> serves <see cref="IConsentStore"/>, <see cref="IMessageLog"/> and
    /// <see cref="IDeduplicationStore"/>, replacing the in-memory defaults whether this is called before or after
    /// <c>AddInCallMessaging</c>. It connects on first use; a Redis that is down does not stop the host, its operations
    /// fail with a <see cref="StateStoreException"/> until Redis is back.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">
    /// The StackExchange.Redis configuration string, usually <c>ConnectionStrings:InCallMessaging</c>, for example
    /// <c>localhost:6379</c>.
    /// </param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingRedisStore(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddInCallMessagingRedisStore(options => options.ConnectionString = connectionString);
    }

    /// <summary>
    /// Keeps consent, the message log and webhook deduplication in Redis, with <see cref="RedisStoreOptions"/> bound from
    /// <paramref name="configuration"/> (for example a <c>InCallMessaging:Redis</c> section with <c>ConnectionString</c>,
    /// <c>KeyPrefix</c> and <c>MessageRetention</c>). See <see cref="AddInCallMessagingRedisStore(IServiceCollection, string)"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section the options bind from.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingRedisStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddInCallMessagingRedisStore(configuration.Bind);
    }

    /// <summary>
    /// Keeps consent, the message log and webhook deduplication in Redis, configured by <paramref name="configure"/>.
    /// See <see cref="AddInCallMessagingRedisStore(IServiceCollection, string)"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection string and, optionally, the key prefix, retention and timeouts.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingRedisStore(this IServiceCollection services, Action<RedisStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<RedisStoreOptions>().Configure(configure);
        // The store owns its one connection (a multiplexer, shared by all its operations), made on first use.
        services.TryAddSingleton(provider => new RedisStateStore(
            provider.GetRequiredService<IOptions<RedisStoreOptions>>().Value,
            provider.GetService<TimeProvider>() ?? TimeProvider.System));

        services.UseInCallMessagingStateStore<RedisStateStore>();
        return services;
    }
}
