using InCallMessaging.SemanticKernel.Functions;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// Builds <see cref="InCallActionSet"/>s: one kernel function per compiled action, wired to the call registry, the
/// consent and message stores and the reply router. One per runtime.
/// </summary>
internal sealed class ActionSetFactory(
    IEnumerable<IMessageProvider> providers,
    ICallSessionRegistry calls,
    CallerConsent consent,
    MessageLogWriter log,
    IReplyRouter router,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    AfterCallSends afterCall)
{
    private readonly IMessageProvider[] _providers = [.. providers];
    private readonly ILogger _functionLogger = loggerFactory.CreateLogger<InCallMessageFunction>();

    /// <summary>The set of <paramref name="catalog"/>, compiled from <paramref name="options"/>.</summary>
    public InCallActionSet Build(InCallMessagingOptions options, ActionCatalog catalog, long version)
    {
        var functions = catalog.Actions
            .Select(action => new InCallMessageFunction(action, calls, consent, log, router, options, time, _functionLogger, afterCall).CreateKernelFunction())
            .ToList();
        var plugin = KernelPluginFactory.CreateFromFunctions(options.PluginName, options.PluginDescription, functions);
        return new InCallActionSet(this, options, catalog, plugin, version);
    }

    /// <summary>
    /// <paramref name="baseSet"/>'s actions and <paramref name="extra"/>, compiled together with the base set's options
    /// (senders, variables, plugin name), so a name used twice or an unknown sender is an error like at start-up.
    /// </summary>
    /// <exception cref="InCallMessagingConfigurationException">The extra actions have problems; every one is listed.</exception>
    public InCallActionSet Extend(InCallActionSet baseSet, IReadOnlyList<InCallMessageAction> extra)
    {
        var options = baseSet.Options.WithActions([.. baseSet.Catalog.Actions.Select(a => a.Definition), .. extra]);
        var catalog = ActionCatalog.Compile(options, _providers, out var errors);
        if (errors.Count > 0)
        {
            throw new InCallMessagingConfigurationException(errors);
        }

        return Build(options, catalog, baseSet.Version);
    }
}
