using InCallMessaging.SemanticKernel;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.SemanticKernel.Sending;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-call messaging plugin with dependency injection.</summary>
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
        return services.AddInCallMessagingCore();
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

        return services.AddInCallMessagingCore();
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

    private static IServiceCollection AddInCallMessagingCore(this IServiceCollection services)
    {
        services.AddOptions<InCallMessagingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InCallMessagingOptions>, InCallMessagingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpMessageProvider.HttpClientName);
        services.TryAddSingleton<LoopbackMessageProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageProvider, LoopbackMessageProvider>(sp => sp.GetRequiredService<LoopbackMessageProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMessageProvider, HttpMessageProvider>());
        HttpReplyMediaFetcher.AddHttpClient(services);
        services.TryAddSingleton<IReplyMediaFetcher>(static sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<InCallMessagingOptions>>();
            return new HttpReplyMediaFetcher(sp.GetRequiredService<IHttpClientFactory>(), () => options.CurrentValue.Media ?? new(), credentials: null,
                sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>()?.CreateLogger<IReplyMediaFetcher>() ?? NullLogger<IReplyMediaFetcher>.Instance);
        });
        services.TryAddSingleton<IDeduplicationStore>(sp => new InMemoryDeduplicationStore(
            sp.GetRequiredService<IOptions<InCallMessagingOptions>>().Value.DeduplicationCapacity, sp.GetRequiredService<TimeProvider>()));

        if (services.Any(d => d.ServiceType == typeof(InCallMessagingRuntime)))
        {
            return services;
        }

        services.AddSingleton(sp => new InCallMessagingRuntime(
            sp.GetRequiredService<IOptions<InCallMessagingOptions>>().Value,
            sp.GetServices<IMessageProvider>(),
            sp.GetRequiredService<IDeduplicationStore>(),
            sp.GetServices<IAfterCallReplyHandler>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetServices<IMessageStatusHandler>()));
        services.AddSingleton<ICallSessionRegistry>(sp => sp.GetRequiredService<InCallMessagingRuntime>().Calls);
        services.AddSingleton<IReplyHub>(sp => sp.GetRequiredService<InCallMessagingRuntime>().Replies);
        services.AddSingleton<KernelPlugin>(sp => sp.GetRequiredService<InCallMessagingRuntime>().Plugin);
        services.AddSingleton<IHostedService, CallSessionEvictionService>();
        return services;
    }
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
