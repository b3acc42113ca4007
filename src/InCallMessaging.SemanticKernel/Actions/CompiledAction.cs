using InCallMessaging.SemanticKernel.Templates;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>An action after start-up validation: templates parsed, sender and provider resolved.</summary>
internal sealed class CompiledAction
{
    public required InCallMessageAction Definition { get; init; }

    public required string Name { get; init; }

    public required string SenderName { get; init; }

    public required MessageSenderOptions Sender { get; init; }

    /// <summary>The identity the caller sees (the sender's number or service id): what consent is kept by.</summary>
    public string SenderIdentity => _senderIdentity ??= Sender.AddressOr(SenderName);

    private string? _senderIdentity;

    public required IMessageProvider Provider { get; init; }

    /// <summary>The body template, or <see langword="null"/> when the LLM writes the text or a template is always used.</summary>
    public MessageTemplate? Body { get; init; }

    /// <summary>Whether the function has the auto-injected <c>message</c> parameter.</summary>
    public bool InjectsMessage { get; init; }

    public MessageTemplate? To { get; init; }

    public IReadOnlyList<KeyValuePair<string, MessageTemplate>> ContentVariables { get; init; } = [];

    public IReadOnlyList<MessageTemplate> MediaUrls { get; init; } = [];

    /// <summary>Spoken just before the send, once every check has passed.</summary>
    public MessageTemplate? BeforeAction { get; init; }

    /// <summary>Spoken when the send fails or is blocked.</summary>
    public MessageTemplate? OnFailure { get; init; }

    /// <summary>Spoken once when the provider has not answered within the action's delay threshold.</summary>
    public MessageTemplate? OnDelay { get; init; }

    /// <summary>
    /// Variables only the spoken lines read (none of them is in <see cref="Variables"/>). A value missing here never
    /// stops the send: the line that needs it is not spoken.
    /// </summary>
    public string[] SpokenVariables { get; init; } = [];

    /// <summary>The declared parameter names (plus <c>message</c> when injected): values come from the LLM's arguments only.</summary>
    public required HashSet<string> ParameterNames { get; init; }

    /// <summary>The function's parameters in declaration order (the auto-injected <c>message</c> last), compiled.</summary>
    public required KeyValuePair<string, ParameterSchema>[] Parameters { get; init; }

    /// <summary>The parameters some template or spoken line reads (so their values are kept for rendering).</summary>
    public HashSet<string> RenderedParameters => _renderedParameters ??= new HashSet<string>(
        Parameters.Select(p => p.Key).Where(name => Variables.Contains(name) || SpokenVariables.Contains(name)), StringComparer.Ordinal);

    private HashSet<string>? _renderedParameters;

    /// <summary>The parameters the model must supply.</summary>
    public required HashSet<string> RequiredParameters { get; init; }

    /// <summary>Every variable any of the action's templates reads, each once.</summary>
    public required string[] Variables { get; init; }

    public required string ReplyVariable { get; init; }

    /// <summary>The delivery statuses that put a line into the call's chat history.</summary>
    public IReadOnlySet<DeliveryState> StatusLines { get; init; } = DefaultStatusLines;

    /// <summary>Failures only.</summary>
    public static readonly IReadOnlySet<DeliveryState> DefaultStatusLines = new HashSet<DeliveryState> { DeliveryState.Failed, DeliveryState.Undelivered };

    public required string FallbackMessage { get; init; }

    /// <summary>What a spoken or keyed answer must contain to answer the wait; null: any words do.</summary>
    public System.Text.RegularExpressions.Regex? ReplyPattern { get; init; }

    /// <summary>Spoken every <see cref="ReminderInterval"/> while the action waits; null: nothing.</summary>
    public string? Reminder { get; init; }

    public TimeSpan ReminderInterval { get; init; }

    /// <summary>The function's parameters as the model sees them: names, descriptions, required flags and typed JSON Schemas.</summary>
    public List<Microsoft.SemanticKernel.KernelParameterMetadata> KernelParameters() =>
        [.. Parameters.Select(pair => new Microsoft.SemanticKernel.KernelParameterMetadata(pair.Key)
        {
            Description = pair.Value.Definition.Description,
            IsRequired = RequiredParameters.Contains(pair.Key),
            ParameterType = pair.Value.ClrType,
            Schema = Microsoft.SemanticKernel.KernelJsonSchema.Parse(pair.Value.ToJson()),
        })];
}
