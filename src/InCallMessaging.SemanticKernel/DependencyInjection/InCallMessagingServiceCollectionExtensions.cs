using InCallMessaging.SemanticKernel;
using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the in-call messaging plugin with dependency injection. Each service is added only when it is missing, so
/// yours replace the defaults: <see cref="ICallSessionRegistry"/>, <see cref="IReplyHub"/>, <see cref="IDeduplicationStore"/>,
/// <see cref="IConsentStore"/>, <see cref="IMessageLog"/>,
/// <see cref="IReplyMediaFetcher"/> and <see cref="TimeProvider"/> registered before <c>AddInCallMessaging</c> are the only
/// ones, and registered after it they are the ones resolved; every <see cref="IMessageProvider"/>,
/// <see cref="IAfterCallReplyHandler"/> and <see cref="IMessageStatusHandler"/> registered in either order is used, and
/// a provider with a built-in provider's name replaces it.
/// </summary>
public static class InCallMessagingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the plugin with options bound from <paramref name="configuration"/> (usually the <c>InCallMessaging</c>
    /// section). The plugin is registered as a <see cref="KernelPlugin"/>, so kernels built from these services have it.
    /// </summary>
    public static IServiceCollection AddInCallMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(InCallMessagingRuntime)))
        {
            // Binding the section again would append every action a second time.
            return services;
        }

        services.AddOptions<InCallMessagingOptions>().Bind(configuration);
        return services.AddInCallMessagingServices();
    }

    /// <summary>
    /// Adds the plugin with options set in code. Calls with different delegates all apply, in order; the same delegate
    /// given again (a setup method that runs twice) applies once, so its actions are not added twice.
    /// </summary>
    public static IServiceCollection AddInCallMessaging(this IServiceCollection services, Action<InCallMessagingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var registered = services.Any(d => d.ServiceType == typeof(IConfigureOptions<InCallMessagingOptions>)
            && d.ImplementationInstance is ConfigureNamedOptions<InCallMessagingOptions> existing && Equals(existing.Action, configure));
        if (!registered)
        {
            services.AddOptions<InCallMessagingOptions>().Configure(configure);
        }

        return services.AddInCallMessagingServices();
    }

    /// <summary>
    /// Wraps the built-in in-memory <see cref="ICallSessionRegistry"/> in one of yours (to observe calls starting and
    /// ending, mirror them elsewhere, or add look-ups): <paramref name="decorate"/> receives the built-in registry, which
    /// creates the sessions, and returns the registry the plugin uses. Works before or after <c>AddInCallMessaging</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="decorate">Builds your registry around the built-in one.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection DecorateCallSessionRegistry(this IServiceCollection services,
        Func<ICallSessionRegistry, IServiceProvider, ICallSessionRegistry> decorate)
    {
        ArgumentNullException.ThrowIfNull(decorate);
        services.AddSingleton(sp => decorate(sp.GetRequiredService<CallSessionRegistry>(), sp));
        return services;
    }

    /// <summary>
    /// Makes one registered store (<typeparamref name="TStore"/>, registered by you) the <see cref="IConsentStore"/>, the
    /// <see cref="IMessageLog"/> and the <see cref="IDeduplicationStore"/>, in place of the in-memory defaults, whether
    /// this is called before or after <c>AddInCallMessaging</c>. The SQLite and Redis packages register theirs this way.
    /// </summary>
    /// <typeparam name="TStore">The store, registered as a singleton of its own type.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection UseInCallMessagingStateStore<TStore>(this IServiceCollection services)
        where TStore : class, IConsentStore, IMessageLog, IDeduplicationStore
    {
        // Replace, not TryAdd: the core registers the in-memory stores with TryAdd, so these win in either order.
        services.Replace(ServiceDescriptor.Singleton<IConsentStore>(static sp => sp.GetRequiredService<TStore>()));
        services.Replace(ServiceDescriptor.Singleton<IMessageLog>(static sp => sp.GetRequiredService<TStore>()));
        services.Replace(ServiceDescriptor.Singleton<IDeduplicationStore>(static sp => sp.GetRequiredService<TStore>()));
        return services;
    }

    /// <summary>Adds an <see cref="IAfterCallReplyHandler"/> for replies that arrive after their call ended.</summary>
    public static IServiceCollection AddAfterCallReplyHandler<THandler>(this IServiceCollection services)
        where THandler : class, IAfterCallReplyHandler
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAfterCallReplyHandler, THandler>());
        return services;
    }

    /// <summary>Adds an <see cref="IMessageStatusHandler"/> that hears every delivery status applied to a message of a call.</summary>
    public static IServiceCollection AddMessageStatusHandler<THandler>(this IServiceCollection services)
        where THandler : class, IMessageStatusHandler
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageStatusHandler, THandler>());
        return services;
    }

    /// <summary>
    /// Every service of the plugin, each added only when it is missing (<c>TryAdd</c>). <see cref="InCallMessagingRuntime.Create"/>
    /// builds on these same registrations. A service registered before this call is used instead of the default; one
    /// registered after it wins too, because the plugin resolves each service by its type and the last registration is
    /// the one resolved.
    /// </summary>
    internal static IServiceCollection AddInCallMessagingServices(this IServiceCollection services)
    {
        services.AddOptions<InCallMessagingOptions>().ValidateOnStart();
        services.TryAddSingleton<IOptions<InCallMessagingOptions>, MonitoredOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InCallMessagingOptions>, InCallMessagingOptionsValidator>());
        services.TryAddSingleton<ActionCatalogCompilation>();
        services.TryAddSingleton<StartupValidation>();
        services.TryAddSingleton(static sp => sp.GetRequiredService<ActionCatalogCompilation>().Catalog(Options(sp)));
        services.TryAddSingleton<IConsentStore, InMemoryConsentStore>();
        services.TryAddSingleton<IMessageLog>(static sp => new InMemoryMessageLog((Options(sp).State ?? new()).InMemoryCapacity));
        services.TryAddSingleton(static sp => new CallerConsent(sp.GetRequiredService<IConsentStore>()));
        services.TryAddSingleton(static sp => new MessageLogWriter(sp.GetRequiredService<IMessageLog>(), Options(sp).State ?? new(),
            Loggers(sp).CreateLogger<IMessageLog>()));
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(HttpMessageProvider.HttpClientName);
        services.TryAddSingleton<LoopbackMessageProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageProvider, LoopbackMessageProvider>(static sp => sp.GetRequiredService<LoopbackMessageProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageProvider, HttpMessageProvider>());
        // Providers add their access to their attachments (IReplyMediaAccess) and call this too, in either order.
        HttpReplyMediaFetcher.Register(services);

        services.TryAddSingleton<IDeduplicationStore>(static sp => new InMemoryDeduplicationStore(Options(sp).DeduplicationCapacity, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IReplyRouter>(LocalReplyRouter.Instance);
        services.TryAddSingleton(static sp => new CallSessionRegistry(sp.GetRequiredService<IOptions<InCallMessagingOptions>>(),
            sp.GetRequiredService<TimeProvider>(), Loggers(sp).CreateLogger<CallSessionRegistry>(), sp.GetRequiredService<IReplyRouter>(),
            // Looked up as each call starts (the running set, after any reload); resolved late, since the set's functions use the registry.
            () => sp.GetRequiredService<RunningActions>().Current));
        services.TryAddSingleton<ICallSessionRegistry>(static sp => sp.GetRequiredService<CallSessionRegistry>());
        // A message log that can also keep scheduled texts (SQLite) keeps them durably; otherwise they stay in memory.
        services.TryAddSingleton<IScheduledMessageStore>(static sp =>
            sp.GetRequiredService<IMessageLog>() as IScheduledMessageStore ?? new InMemoryScheduledMessageStore());
        services.TryAddSingleton(static sp => new AfterCallSends(
            sp.GetRequiredService<IScheduledMessageStore>(),
            sp.GetRequiredService<CallerConsent>(),
            sp.GetRequiredService<MessageLogWriter>(),
            sp.GetRequiredService<ICallSessionRegistry>(),
            sp.GetRequiredService<IReplyRouter>(),
            // Resolved late: the running set's functions use these sends.
            () => sp.GetRequiredService<RunningActions>().Current,
            Options(sp),
            sp.GetRequiredService<TimeProvider>(),
            Loggers(sp).CreateLogger<AfterCallSends>()));
        services.TryAddSingleton(static sp => new ActionSetFactory(
            sp.GetServices<IMessageProvider>(),
            sp.GetRequiredService<ICallSessionRegistry>(),
            sp.GetRequiredService<CallerConsent>(),
            sp.GetRequiredService<MessageLogWriter>(),
            sp.GetRequiredService<IReplyRouter>(),
            sp.GetRequiredService<TimeProvider>(),
            Loggers(sp),
            sp.GetRequiredService<AfterCallSends>()));
        services.TryAddSingleton(static sp =>
        {
            var running = new RunningActions(sp.GetRequiredService<ActionSetFactory>(), sp.GetRequiredService<ActionCatalogCompilation>(), Options(sp),
                sp.GetService<IOptionsMonitor<InCallMessagingOptions>>(), Loggers(sp).CreateLogger<RunningActions>());
            sp.GetRequiredService<StartupValidation>().MarkDone();
            return running;
        });
        services.TryAddSingleton(static sp => new ReplyHub(
            sp.GetRequiredService<ICallSessionRegistry>(),
            sp.GetRequiredService<RunningActions>(),
            sp.GetRequiredService<CallerConsent>(),
            sp.GetRequiredService<MessageLogWriter>(),
            sp.GetRequiredService<IDeduplicationStore>(),
            sp.GetServices<IAfterCallReplyHandler>(),
            Options(sp),
            sp.GetRequiredService<TimeProvider>(),
            Loggers(sp).CreateLogger<ReplyHub>(),
            sp.GetServices<IMessageStatusHandler>(),
            sp.GetRequiredService<IReplyRouter>()));
        services.TryAddSingleton<IReplyHub>(static sp => sp.GetRequiredService<ReplyHub>());
        services.TryAddSingleton<IHandedOffReplyDelivery>(static sp => sp.GetRequiredService<ReplyHub>());

        services.TryAddSingleton(static sp => new InCallMessagingRuntime(
            Options(sp),
            sp.GetRequiredService<RunningActions>(),
            sp.GetRequiredService<ICallSessionRegistry>(),
            sp.GetRequiredService<CallSessionRegistry>(),
            sp.GetRequiredService<ReplyHub>(),
            sp.GetRequiredService<CallerConsent>(),
            sp.GetRequiredService<MessageLogWriter>(),
            sp.GetServices<IMessageProvider>(),
            sp.GetRequiredService<IReplyHub>,
            sp.GetRequiredService<AfterCallSends>()));
        if (!services.Any(static d => d.ServiceType == typeof(KernelPlugin) && !d.IsKeyedService && d.ImplementationFactory == PluginFactory))
        {
            services.AddSingleton(PluginFactory);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CallSessionEvictionService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MessageRetentionService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ScheduledTextService>());
        return services;
    }

    /// <summary>The plugin as a <see cref="KernelPlugin"/>; one instance, so a second <c>AddInCallMessaging</c> can tell it is there.</summary>
    private static readonly Func<IServiceProvider, KernelPlugin> PluginFactory = static sp => sp.GetRequiredService<InCallMessagingRuntime>().Plugin;

    /// <summary>
    /// <see cref="IOptions{TOptions}"/> as the monitor's first value, so the start-up validation (which reads the
    /// monitor), the runtime and the webhooks share one options instance, validated and compiled once.
    /// </summary>
    private sealed class MonitoredOptions(IOptionsMonitor<InCallMessagingOptions> monitor) : IOptions<InCallMessagingOptions>
    {
        private InCallMessagingOptions? _value;

        public InCallMessagingOptions Value => _value ??= monitor.CurrentValue;
    }

    private static InCallMessagingOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<InCallMessagingOptions>>().Value;

    private static ILoggerFactory Loggers(IServiceProvider services) => services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
}

/// <summary>Adds the in-call messaging plugin to a kernel builder in one line.</summary>
public static class InCallMessagingKernelBuilderExtensions
{
    /// <summary>Adds the plugin with options bound from <paramref name="configuration"/>.</summary>
    public static IKernelBuilder AddInCallMessaging(this IKernelBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddInCallMessaging(configuration);
        return builder;
    }

    /// <summary>Adds the plugin with options set in code.</summary>
    public static IKernelBuilder AddInCallMessaging(this IKernelBuilder builder, Action<InCallMessagingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddInCallMessaging(configure);
        return builder;
    }
}
