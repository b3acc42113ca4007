using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Functions;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.SemanticKernel.Sending;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Everything the plugin needs, wired together: the kernel plugin (one function per action), the call registry and
/// the reply hub. Dependency injection builds one for you (<c>services.AddInCallMessaging(...)</c>); without DI, use
/// <see cref="Create"/>.
/// </summary>
public sealed class InCallMessagingRuntime
{
    internal InCallMessagingRuntime(
        InCallMessagingOptions options,
        IEnumerable<IMessageProvider> providers,
        IDeduplicationStore deduplication,
        IEnumerable<IAfterCallReplyHandler> afterCallHandlers,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IEnumerable<IMessageStatusHandler>? statusHandlers = null)
    {
        var providerList = providers.ToList();
        var catalog = ActionCatalog.Create(options, providerList);
        var consent = new CustomerConsent();
        var registry = new CallSessionRegistry(Microsoft.Extensions.Options.Options.Create(options), time, loggerFactory.CreateLogger<CallSessionRegistry>());
        var hub = new ReplyHub(registry, catalog, consent, deduplication, afterCallHandlers, options, time, loggerFactory.CreateLogger<ReplyHub>(), statusHandlers);
        Loopback = providerList.OfType<LoopbackMessageProvider>().FirstOrDefault();
        if (Loopback is not null)
        {
            Loopback.Hub = hub;
        }

        var functionLogger = loggerFactory.CreateLogger<InCallMessageFunction>();
        var functions = catalog.Actions
            .Select(action => new InCallMessageFunction(action, registry, consent, options, time, functionLogger).CreateKernelFunction())
            .ToList();
        Plugin = KernelPluginFactory.CreateFromFunctions(options.PluginName, options.PluginDescription, functions);
        Options = options;
        Registry = registry;
        Deduplication = deduplication;
        Replies = hub;
    }

    /// <summary>The kernel plugin: one function per configured action.</summary>
    public KernelPlugin Plugin { get; }

    /// <summary>Starts, ends and finds call sessions.</summary>
    public ICallSessionRegistry Calls => Registry;

    /// <summary>Delivers inbound messages and status updates to their calls.</summary>
    public IReplyHub Replies { get; }

    /// <summary>The in-process loopback provider, when one is registered.</summary>
    public LoopbackMessageProvider? Loopback { get; }

    /// <summary>The validated options in force.</summary>
    public InCallMessagingOptions Options { get; }

    internal CallSessionRegistry Registry { get; }

    internal IDeduplicationStore Deduplication { get; }

    /// <summary>
    /// Builds the plugin without dependency injection. The loopback and custom-HTTP providers are always available;
    /// pass others (such as Twilio's) in <paramref name="providers"/>.
    /// </summary>
    /// <exception cref="InCallMessagingConfigurationException">The options have problems; every one is listed.</exception>
    public static InCallMessagingRuntime Create(
        InCallMessagingOptions options,
        IEnumerable<IMessageProvider>? providers = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IEnumerable<IAfterCallReplyHandler>? afterCallHandlers = null,
        IDeduplicationStore? deduplicationStore = null,
        IEnumerable<IMessageStatusHandler>? statusHandlers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var time = timeProvider ?? TimeProvider.System;
        var all = new List<IMessageProvider>(providers ?? []);
        if (!all.Any(p => string.Equals(p.Name, LoopbackMessageProvider.ProviderName, StringComparison.OrdinalIgnoreCase)))
        {
            all.Add(new LoopbackMessageProvider());
        }

        if (!all.Any(p => string.Equals(p.Name, HttpMessageProvider.ProviderName, StringComparison.OrdinalIgnoreCase)))
        {
            all.Add(new HttpMessageProvider(SharedHttpClientFactory.Instance, loggerFactory.CreateLogger<HttpMessageProvider>()));
        }

        return new InCallMessagingRuntime(options, all, deduplicationStore ?? new InMemoryDeduplicationStore(ReservedDeduplicationCapacity(options), time), afterCallHandlers ?? [], time, loggerFactory, statusHandlers);
    }

    /// <summary>The capacity to reserve; an invalid one is left to the options' validation, which lists it with the rest.</summary>
    private static int ReservedDeduplicationCapacity(InCallMessagingOptions options) =>
        options.DeduplicationCapacity is >= 0 and <= ActionCatalog.MaxDeduplicationCapacity ? options.DeduplicationCapacity : 0;

    /// <summary>One pooled client for hosts without IHttpClientFactory.</summary>
    private sealed class SharedHttpClientFactory : IHttpClientFactory
    {
        public static readonly SharedHttpClientFactory Instance = new();

        private static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

        public HttpClient CreateClient(string name) => Client;
    }
}

/// <summary>Validates <see cref="InCallMessagingOptions"/> at start-up against the registered providers.</summary>
internal sealed class InCallMessagingOptionsValidator(IEnumerable<IMessageProvider> providers) : IValidateOptions<InCallMessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, InCallMessagingOptions options)
    {
        IReadOnlyList<string> errors = [.. ActionCatalog.Validate(options, providers.Select(p => p.Name)), .. (options.Media ?? new()).Validate()];
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
