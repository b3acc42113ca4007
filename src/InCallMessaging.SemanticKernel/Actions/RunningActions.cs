using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// The action set in force, swapped in one step when the configuration reloads (<see cref="IOptionsMonitor{TOptions}"/>,
/// <c>reloadOnChange</c>). A reloaded configuration is compiled and validated first: with problems it is rejected, every
/// problem is logged at once, and the running set stays. Calls already in progress keep the set they started with.
/// </summary>
internal sealed class RunningActions : IDisposable
{
    private readonly ActionSetFactory _factory;
    private readonly ActionCatalogCompilation _compilation;
    private readonly ILogger _logger;
    private readonly IDisposable? _subscription;
    private readonly Lock _reloading = new();
    private InCallActionSet _current;

    public RunningActions(ActionSetFactory factory, ActionCatalogCompilation compilation, InCallMessagingOptions startup,
        IOptionsMonitor<InCallMessagingOptions>? monitor, ILogger<RunningActions> logger)
    {
        _factory = factory;
        _compilation = compilation;
        _logger = logger;
        _current = factory.Build(startup, compilation.Catalog(startup), version: 1);
        // The plugin binds the default (unnamed) options only.
        _subscription = monitor?.OnChange((options, name) =>
        {
            if (name is null || name == Microsoft.Extensions.Options.Options.DefaultName)
            {
                TryReload(options, out _);
            }
        });
    }

    /// <summary>The set new calls start with.</summary>
    public InCallActionSet Current => Volatile.Read(ref _current);

    /// <summary>Raised after a reloaded configuration was accepted, with the new set.</summary>
    public event Action<InCallActionSet>? Reloaded;

    /// <summary>
    /// Compiles <paramref name="options"/> and, when they have no problem, makes them the running set. With problems
    /// nothing changes and every problem is logged (and returned).
    /// </summary>
    public bool TryReload(InCallMessagingOptions options, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        InCallActionSet next;
        lock (_reloading)
        {
            var current = Current;
            if (ReferenceEquals(options, current.Options))
            {
                errors = [];
                return true;
            }

            errors = [.. _compilation.Errors(options), .. (options.Media ?? new()).Validate()];
            if (!string.Equals(options.PluginName, current.Options.PluginName, StringComparison.Ordinal))
            {
                errors = [.. errors, $"PluginName cannot change while the host runs (it is '{current.Options.PluginName}', the reload says '{options.PluginName}'): restart the host to rename the plugin."];
            }

            if (errors.Count > 0)
            {
                _logger.LogError(
                    "The reloaded in-call messaging configuration was rejected; the running actions (version {Version}: {Actions}) stay in force. Problems:{Problems}",
                    current.Version, string.Join(", ", current.ActionNames), string.Concat(errors.Select(e => Environment.NewLine + " - " + e)));
                return false;
            }

            next = _factory.Build(options, _compilation.Catalog(options), current.Version + 1);
            Volatile.Write(ref _current, next);
        }

        _logger.LogInformation("In-call messaging actions reloaded (version {Version}: {Actions}).", next.Version, string.Join(", ", next.ActionNames));
        Reloaded?.Invoke(next);
        return true;
    }

    public void Dispose() => _subscription?.Dispose();
}
