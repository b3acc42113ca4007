using InCallMessaging.SemanticKernel;
using InCallMessaging.Sqlite;
using InCallMessaging.Sqlite.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite state store in place of the in-memory defaults.</summary>
public static class SqliteStoreServiceCollectionExtensions
{
    /// <summary>
    /// Keeps consent, the message log and webhook deduplication in one SQLite file. One <see cref="SqliteStateStore"/>
    /// serves <see cref="IConsentStore"/>, <see cref="IMessageLog"/> and <see cref="IDeduplicationStore"/>, replacing the
    /// in-memory defaults whether this is called before or after <c>AddInCallMessaging</c>. The database is opened and
    /// migrated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">
    /// The SQLite connection string, usually <c>ConnectionStrings:InCallMessaging</c>, for example
    /// <c>Data Source=/var/lib/voicebot/incall.db</c>.
    /// </param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingSqliteStore(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddInCallMessagingSqliteStore(options => options.ConnectionString = connectionString);
    }

    /// <summary>
    /// Keeps consent, the message log and webhook deduplication in one SQLite file, with <see cref="SqliteStoreOptions"/>
    /// bound from <paramref name="configuration"/> (for example a <c>InCallMessaging:Sqlite</c> section with
    /// <c>ConnectionString</c>, <c>Synchronous</c> and <c>BusyTimeout</c>). See
    /// <see cref="AddInCallMessagingSqliteStore(IServiceCollection, string)"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section the options bind from.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingSqliteStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddInCallMessagingSqliteStore(configuration.Bind);
    }

    /// <summary>
    /// Keeps consent, the message log and webhook deduplication in one SQLite file, configured by
    /// <paramref name="configure"/>. See <see cref="AddInCallMessagingSqliteStore(IServiceCollection, string)"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection string and, optionally, durability and timeouts.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddInCallMessagingSqliteStore(this IServiceCollection services, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SqliteStoreOptions>().Configure(configure);
        services.TryAddSingleton(provider => new SqliteStateStore(
            provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value,
            provider.GetService<TimeProvider>() ?? TimeProvider.System));

        services.UseInCallMessagingStateStore<SqliteStateStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteStoreStartup>());
        return services;
    }
}
