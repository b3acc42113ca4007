using InCallMessaging.SemanticKernel.Actions;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A compiled, validated set of actions and the kernel plugin that offers them: what one call may do. Immutable: a
/// configuration reload builds a new set (<see cref="InCallMessagingRuntime.Actions"/>) and a call keeps the set it
/// started with (<see cref="CallSession.Actions"/>). A host gives a call its own set with <see cref="Where"/> (a filter,
/// no recompiling) or <see cref="InCallMessagingRuntime.CreateActionSet(IEnumerable{InCallMessageAction}, Func{InCallMessageAction, bool})"/>
/// (extra actions, validated like the configuration).
/// </summary>
public sealed class InCallActionSet
{
    private readonly ActionSetFactory _factory;
    private readonly HashSet<string> _names;

    internal InCallActionSet(ActionSetFactory factory, InCallMessagingOptions options, ActionCatalog catalog, KernelPlugin plugin, long version)
    {
        _factory = factory;
        Options = options;
        Catalog = catalog;
        Plugin = plugin;
        Version = version;
        ActionNames = [.. catalog.Actions.Select(a => a.Name)];
        _names = new HashSet<string>(ActionNames, StringComparer.Ordinal);
    }

    /// <summary>The kernel plugin: one function per action of this set.</summary>
    public KernelPlugin Plugin { get; }

    /// <summary>The actions' names, in configuration order.</summary>
    public IReadOnlyList<string> ActionNames { get; }

    /// <summary>
    /// Which configuration this set was built from: 1 for the start-up configuration, one more for each accepted reload.
    /// A set derived with <see cref="Where"/> or extra actions keeps the version of the set it was built on.
    /// </summary>
    public long Version { get; }

    /// <summary>The options the set was compiled with.</summary>
    internal InCallMessagingOptions Options { get; }

    /// <summary>The compiled actions and the senders they use.</summary>
    internal ActionCatalog Catalog { get; }

    internal ActionSetFactory Factory => _factory;

    /// <summary>Whether the set has an action named <paramref name="actionName"/>.</summary>
    public bool Contains(string actionName) => actionName is not null && _names.Contains(actionName);

    /// <summary>
    /// The actions of this set that <paramref name="predicate"/> keeps (per agent or tenant: "this agent never takes
    /// payments"). Nothing is compiled again.
    /// </summary>
    public InCallActionSet Where(Func<InCallMessageAction, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var kept = Catalog.Where(action => predicate(action.Definition));
        var names = kept.Actions.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var plugin = KernelPluginFactory.CreateFromFunctions(Plugin.Name, Plugin.Description, Plugin.Where(f => names.Contains(f.Name)));
        return new InCallActionSet(_factory, Options, kept, plugin, Version);
    }

    /// <summary>The compiled action named <paramref name="name"/>, or <see langword="null"/>.</summary>
    internal CompiledAction? Find(string? name) => Catalog.Find(name);
}
