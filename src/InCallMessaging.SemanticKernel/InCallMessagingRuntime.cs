using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Everything the plugin needs, wired together: the kernel plugin (one function per action), the call registry and
/// the reply hub. Dependency injection builds one for you (<c>services.AddInCallMessaging(...)</c>); without DI,
/// <see cref="Create"/> builds one from the same registrations.
/// </summary>
public sealed class InCallMessagingRuntime
{
    internal InCallMessagingRuntime(
        InCallMessagingOptions options,
        RunningActions actions,
        ICallSessionRegistry calls,
        CallSessionRegistry registry,
        ReplyHub replies,
        CallerConsent consent,
        MessageLogWriter log,
        IEnumerable<IMessageProvider> providers,
        Func<IReplyHub> registeredHub,
        AfterCallSends afterCall)
    {
        AfterCall = afterCall;
        Running = actions;
        Plugin = new RunningActionsPlugin(actions);
        Loopback = providers.OfType<LoopbackMessageProvider>().FirstOrDefault();
        if (Loopback is not null)
        {
            // Looked up at each reply: a hub registered as a decorator of Replies resolves this runtime first.
            Loopback.HubSource = registeredHub;
        }

        Options = options;
        MessageLog = log.Log;
        Consent = consent.Store;
        Calls = calls;
        Registry = registry;
        Replies = replies;
    }

    /// <summary>
    /// The kernel plugin: one function per configured action, always those of <see cref="Actions"/> (after a reload,
    /// the reloaded ones). A kernel bound to a call (<see cref="CallSessionKernelExtensions.WithCallSession"/>) offers
    /// that call's own set in its place.
    /// </summary>
    public KernelPlugin Plugin { get; }

    /// <summary>
    /// The action set in force: the one new calls start with (<see cref="CallSession.Actions"/>). A configuration
    /// reload replaces it in one step once the new configuration has passed validation; an invalid reload is logged
    /// with every problem and this set stays.
    /// </summary>
    public InCallActionSet Actions => Running.Current;

    /// <summary>Raised after a reloaded configuration was accepted, with the new action set.</summary>
    public event Action<InCallActionSet>? ActionsReloaded
    {
        add => Running.Reloaded += value;
        remove => Running.Reloaded -= value;
    }

    /// <summary>
    /// A call's own action set: the running actions that <paramref name="filter"/> keeps (all when it is
    /// <see langword="null"/>) plus <paramref name="extraActions"/>, compiled and validated together with the running
    /// configuration (senders, variables, plugin name) like the configuration at start-up. Give it to a call with
    /// <see cref="CallSession.Actions"/> before its first turn. Build it once per agent or tenant and reuse it.
    /// </summary>
    /// <param name="extraActions">Actions only this call (agent, tenant) offers, defined in code or bound from configuration.</param>
    /// <param name="filter">Which of the running actions the call keeps.</param>
    /// <exception cref="InCallMessagingConfigurationException">The extra actions have problems; every one is listed.</exception>
    public InCallActionSet CreateActionSet(IEnumerable<InCallMessageAction> extraActions, Func<InCallMessageAction, bool>? filter)
    {
        ArgumentNullException.ThrowIfNull(extraActions);
        var current = Actions;
        var baseSet = filter is null ? current : current.Where(filter);
        List<InCallMessageAction> extra = [.. extraActions];
        return extra.Count == 0 ? baseSet : current.Factory.Extend(baseSet, extra);
    }

    /// <summary>
    /// The same as <see cref="CreateActionSet(IEnumerable{InCallMessageAction}, Func{InCallMessageAction, bool})"/> with
    /// the extra actions bound from a configuration section shaped like <c>InCallMessaging:Actions</c> (an array of
    /// actions; for example <c>Tenants:acme:Actions</c>).
    /// </summary>
    /// <exception cref="InCallMessagingConfigurationException">The extra actions have problems; every one is listed.</exception>
    public InCallActionSet CreateActionSet(Microsoft.Extensions.Configuration.IConfiguration actionsSection, Func<InCallMessageAction, bool>? filter)
    {
        ArgumentNullException.ThrowIfNull(actionsSection);
        var extra = new List<InCallMessageAction>();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(actionsSection, extra);
        return CreateActionSet(extra, filter);
    }

    /// <summary>The running action set and its reloads.</summary>
    internal RunningActions Running { get; }

    /// <summary>Starts, ends and finds call sessions: the registered <see cref="ICallSessionRegistry"/>.</summary>
    public ICallSessionRegistry Calls { get; }

    /// <summary>
    /// The plugin's own reply hub: it matches inbound messages and status updates to their calls. Webhooks and the
    /// loopback provider deliver to the registered <see cref="IReplyHub"/>, which is this one unless you register your
    /// own (for example a decorator that passes replies on to this one).
    /// </summary>
    public IReplyHub Replies { get; }

    /// <summary>The in-process loopback provider, when one is registered.</summary>
    public LoopbackMessageProvider? Loopback { get; }

    /// <summary>The validated options the runtime started with (<see cref="Actions"/> holds the actions in force).</summary>
    public InCallMessagingOptions Options { get; }

    /// <summary>The message log in use: every message of every call, queryable by call id and message id.</summary>
    public IMessageLog MessageLog { get; }

    /// <summary>The consent store in use: opt-outs and WhatsApp windows per caller and sending identity.</summary>
    public IConsentStore Consent { get; }

    /// <summary>
    /// Erases a caller's messages from the message log (a GDPR erasure request). The caller's opt-outs are kept, so a
    /// caller who said STOP is still never texted; calls in progress keep their own transcript until they end.
    /// </summary>
    /// <param name="number">The caller's number, in any common format.</param>
    /// <param name="cancellationToken">Cancels the erasure.</param>
    /// <returns>How many logged messages were erased.</returns>
    /// <remarks>After-call texts still scheduled for the caller are erased too, so they are never sent.</remarks>
    public async ValueTask<int> ForgetCallerAsync(string number, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(number);
        var callerKey = CallerKeys.Of(number);
        await AfterCall.ForgetCallerAsync(callerKey, cancellationToken).ConfigureAwait(false);
        return await MessageLog.ForgetCallerAsync(callerKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the model once over a finished call's transcript with only the after-call actions offered
    /// (<see cref="ActionTiming.AfterCall"/>; the call's own set when it has one), so "text the booking confirmation if a
    /// booking was made" works even when nobody asked for it during the call. The model may call any of them, or none;
    /// each sends at once, through the same checks as during the call (opt-outs, the call's caps and duplicate window,
    /// the recipient policy), and is logged in <see cref="MessageLog"/>. An after-call action the call already used (the
    /// model scheduled it during the call) is not offered again, so the run never sends a second copy. Does nothing (and
    /// calls no model) when no after-call action is left to offer.
    /// </summary>
    /// <param name="session">The call; it must have ended (<see cref="ICallSessionRegistry.EndCall"/>).</param>
    /// <param name="history">The call's final chat history; it is not changed.</param>
    /// <param name="chatService">The chat completion service to ask (one that supports function calling).</param>
    /// <param name="kernel">A kernel whose services and filters to use (its plugins are not offered); <see langword="null"/> for a new one.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>What each action the model called did, in order.</returns>
    /// <exception cref="InvalidOperationException">The call is still live.</exception>
    /// <exception cref="StateStoreException">The message log could not be read to see which actions the call used: nothing was sent.</exception>
    public async Task<IReadOnlyList<AfterCallActionResult>> RunAfterCallAsync(CallSession session, Microsoft.SemanticKernel.ChatCompletion.ChatHistory history,
        Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService chatService, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(chatService);
        if (session.IsActive)
        {
            throw new InvalidOperationException($"Call {session.CallId} is still live: end it (Calls.EndCall) before running its after-call actions.");
        }

        var used = (await MessageLog.GetCallAsync(session.CallId, cancellationToken).ConfigureAwait(false))
            .Where(static m => m.Direction == MessageDirection.Outbound && m.ActionName is not null)
            .Select(static m => m.ActionName!)
            .ToHashSet(StringComparer.Ordinal);
        return await AfterCallRun.RunAsync(session.Actions ?? Actions, used, session, history, chatService, kernel, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the after-call texts still scheduled for calls that are not live in this process: calls that ended, or whose
    /// process stopped before they did (with a durable store, such as SQLite). Each goes out at most once. A host runs
    /// this at start-up (<c>AddInCallMessaging</c> registers a hosted service for it); call it yourself without a host.
    /// </summary>
    /// <param name="cancellationToken">Cancels the sends not yet started.</param>
    /// <returns>How many texts were sent.</returns>
    /// <exception cref="StateStoreException">The scheduled texts could not be read.</exception>
    public Task<int> SendScheduledTextsAsync(CancellationToken cancellationToken = default) => AfterCall.SendEndedCallsAsync(cancellationToken);

    /// <summary>Schedules and sends the texts of after-call actions.</summary>
    internal AfterCallSends AfterCall { get; }

    /// <summary>The in-memory registry (the one in use unless <see cref="ICallSessionRegistry"/> was replaced).</summary>
    internal CallSessionRegistry Registry { get; }

    /// <summary>
    /// Builds the plugin without a host. It registers the same services as <c>services.AddInCallMessaging(...)</c>, with
    /// the given instances in place of the defaults, and resolves the runtime from them (as <c>Kernel.CreateBuilder()</c>
    /// builds on dependency injection). The loopback and custom-HTTP providers are always available; pass others (such
    /// as Twilio's) in <paramref name="providers"/>; a provider named like a built-in one replaces it. Nothing needs
    /// disposing.
    /// </summary>
    /// <exception cref="InCallMessagingConfigurationException">The options have problems; every one is listed.</exception>
    public static InCallMessagingRuntime Create(
        InCallMessagingOptions options,
        IEnumerable<IMessageProvider>? providers = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IEnumerable<IAfterCallReplyHandler>? afterCallHandlers = null,
        IDeduplicationStore? deduplicationStore = null,
        IEnumerable<IMessageStatusHandler>? statusHandlers = null,
        IConsentStore? consentStore = null,
        IMessageLog? messageLog = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var services = new ServiceCollection();

        // The given instances first: the registrations below only add what is still missing.
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton<IHttpClientFactory>(SharedHttpClientFactory.Instance);
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        if (deduplicationStore is not null)
        {
            services.AddSingleton(deduplicationStore);
        }

        if (consentStore is not null)
        {
            services.AddSingleton(consentStore);
        }

        if (messageLog is not null)
        {
            services.AddSingleton(messageLog);
        }

        foreach (var provider in providers ?? [])
        {
            services.AddSingleton(provider);
            if (provider is LoopbackMessageProvider loopback)
            {
                services.TryAddSingleton(loopback);
            }
        }

        foreach (var handler in afterCallHandlers ?? [])
        {
            services.AddSingleton(handler);
        }

        foreach (var handler in statusHandlers ?? [])
        {
            services.AddSingleton(handler);
        }

        services.AddSingleton<IOptionsFactory<InCallMessagingOptions>, GivenOptionsFactory>(sp => new GivenOptionsFactory(options,
            sp.GetServices<IConfigureOptions<InCallMessagingOptions>>(), sp.GetServices<IPostConfigureOptions<InCallMessagingOptions>>(),
            sp.GetServices<IValidateOptions<InCallMessagingOptions>>()));
        services.AddInCallMessagingServices();

        // Never disposed, like the runtime: it holds no resources of its own (no hosted services run, HTTP clients
        // come from the shared pool) and goes away with the runtime.
        var container = services.BuildServiceProvider();
        try
        {
            return container.GetRequiredService<InCallMessagingRuntime>();
        }
        catch (OptionsValidationException ex) when (ex.OptionsType == typeof(InCallMessagingOptions))
        {
            throw new InCallMessagingConfigurationException([.. ex.Failures]);
        }
    }

    /// <summary>Options in code: the caller's instance, validated like bound ones.</summary>
    private sealed class GivenOptionsFactory(
        InCallMessagingOptions options,
        IEnumerable<IConfigureOptions<InCallMessagingOptions>> setups,
        IEnumerable<IPostConfigureOptions<InCallMessagingOptions>> postConfigures,
        IEnumerable<IValidateOptions<InCallMessagingOptions>> validations)
        : OptionsFactory<InCallMessagingOptions>(setups, postConfigures, validations)
    {
        protected override InCallMessagingOptions CreateInstance(string name) => options;
    }

    /// <summary>One pooled client for hosts without IHttpClientFactory.</summary>
    private sealed class SharedHttpClientFactory : IHttpClientFactory
    {
        public static readonly SharedHttpClientFactory Instance = new();

        private static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

        public HttpClient CreateClient(string name) => Client;
    }
}

/// <summary>
/// Validates <see cref="InCallMessagingOptions"/> at start-up, compiling the actions the runtime then uses. Once the
/// runtime runs, a reloaded configuration is judged by <see cref="RunningActions"/> instead (rejected and logged, the
/// running set kept): failing here would throw out of the configuration's change callback.
/// </summary>
internal sealed class InCallMessagingOptionsValidator(ActionCatalogCompilation compilation, StartupValidation startup) : IValidateOptions<InCallMessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, InCallMessagingOptions options)
    {
        if (startup.Done)
        {
            return ValidateOptionsResult.Skip;
        }

        IReadOnlyList<string> errors = [.. compilation.Errors(options), .. (options.Media ?? new()).Validate()];
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Whether the start-up configuration was accepted (later ones are reloads).</summary>
internal sealed class StartupValidation
{
    private int _done;

    public bool Done => Volatile.Read(ref _done) == 1;

    public void MarkDone() => Volatile.Write(ref _done, 1);
}
