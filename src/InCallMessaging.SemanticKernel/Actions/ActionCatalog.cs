
namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// The compiled configuration: the actions (compiled once, by <see cref="ActionCompiler"/>) and the senders
/// (<see cref="SenderDirectory"/>). Built at start-up with every problem listed at once (<see cref="ConfigurationRules"/>
/// for the plugin's own settings); templates are parsed here and never per call.
/// </summary>
internal sealed class ActionCatalog
{
    private readonly SenderDirectory _senders;

    private ActionCatalog(IReadOnlyList<CompiledAction> actions, SenderDirectory senders)
    {
        Actions = actions;
        _senders = senders;
    }

    public IReadOnlyList<CompiledAction> Actions { get; }

    /// <summary>The action named <paramref name="name"/>, or <see langword="null"/>.</summary>
    public CompiledAction? Find(string? name)
    {
        foreach (var action in Actions)
        {
            if (string.Equals(action.Name, name, StringComparison.Ordinal))
            {
                return action;
            }
        }

        return null;
    }

    /// <summary>The same senders with only the actions <paramref name="keep"/> accepts (a call's filtered action set).</summary>
    public ActionCatalog Where(Func<CompiledAction, bool> keep) => new([.. Actions.Where(keep)], _senders);

    /// <summary>Compiles the configuration or throws <see cref="InCallMessagingConfigurationException"/> with every problem.</summary>
    public static ActionCatalog Create(InCallMessagingOptions options, IEnumerable<IMessageProvider> providers)
    {
        var catalog = Compile(options, providers, out var errors);
        return errors.Count > 0 ? throw new InCallMessagingConfigurationException(errors) : catalog;
    }

    /// <summary>
    /// Compiles the configuration, listing every problem in <paramref name="errors"/>. A provider registered under the
    /// name of a built-in one (<c>Loopback</c>, <c>Http</c>) replaces it, whatever the registration order.
    /// </summary>
    public static ActionCatalog Compile(InCallMessagingOptions options, IEnumerable<IMessageProvider> providers, out List<string> errors)
    {
        var byName = new Dictionary<string, IMessageProvider?>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            if (provider is LoopbackMessageProvider or HttpMessageProvider && byName.ContainsKey(provider.Name))
            {
                continue;
            }

            byName[provider.Name] = provider;
        }

        return Compile(options, byName, out errors);
    }

    /// <summary>The sender an inbound message was written to, from its recipient address or Messaging Service.</summary>
    public string? ResolveSender(string to, string? serviceId) => _senders.Resolve(to, serviceId);

    /// <inheritdoc cref="SenderDirectory.IdentityOf"/>
    public string SenderIdentity(string? senderName, string address) => _senders.IdentityOf(senderName, address);

    private static ActionCatalog Compile(InCallMessagingOptions options, IReadOnlyDictionary<string, IMessageProvider?> providers, out List<string> errors)
    {
        errors = [];
        ConfigurationRules.ValidateGlobals(options, errors);
        var senders = SenderDirectory.Build(options, providers, errors);
        var knownCallVariables = ActionCompiler.KnownCallVariables(options);
        var compiled = new List<CompiledAction>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var index = 0; index < options.Actions.Count; index++)
        {
            var action = options.Actions[index];
            var label = string.IsNullOrWhiteSpace(action.Name) ? $"Actions[{index}]" : $"Action '{action.Name}'";
            var before = errors.Count;
            ConfigurationRules.ValidateName(options.PluginName, action, label, seen, errors);
            var result = ActionCompiler.Compile(action, label, options, providers, knownCallVariables, errors);
            if (errors.Count == before && result is not null)
            {
                compiled.Add(result);
            }
        }

        return new ActionCatalog(compiled, senders);
    }
}
