using System.Runtime.CompilerServices;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// Compiles the actions once per options instance, so the start-up validation and the runtime share one compile: the
/// validator lists its errors, the runtime takes its catalog. One per service provider.
/// </summary>
internal sealed class ActionCatalogCompilation(IEnumerable<IMessageProvider> providers)
{
    private readonly ConditionalWeakTable<InCallMessagingOptions, Compiled> _compiled = [];
    private int _count;

    /// <summary>How many times the actions were compiled (once per options instance).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The problems in <paramref name="options"/> (empty when they are valid).</summary>
    public IReadOnlyList<string> Errors(InCallMessagingOptions options) => For(options).Errors;

    /// <summary>The compiled catalog of <paramref name="options"/>.</summary>
    /// <exception cref="InCallMessagingConfigurationException">The options have problems; every one is listed.</exception>
    public ActionCatalog Catalog(InCallMessagingOptions options)
    {
        var compiled = For(options);
        return compiled.Errors.Count > 0 ? throw new InCallMessagingConfigurationException(compiled.Errors) : compiled.Catalog;
    }

    private Compiled For(InCallMessagingOptions options) =>
        _compiled.GetValue(options, key =>
        {
            Interlocked.Increment(ref _count);
            var catalog = ActionCatalog.Compile(key, providers, out var errors);
            return new Compiled(catalog, errors);
        });

    private sealed record Compiled(ActionCatalog Catalog, IReadOnlyList<string> Errors);
}
