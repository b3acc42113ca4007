using System.Text.RegularExpressions;
using InCallMessaging.SemanticKernel.Sending;
using InCallMessaging.SemanticKernel.Templates;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// Validates the whole configuration at start-up, listing every problem at once, and compiles the actions: templates
/// are parsed here and never per call.
/// </summary>
internal sealed partial class ActionCatalog
{
    private const int MaxToolNameLength = 64;

    /// <summary>The delivery statuses an action may turn into transcript lines.</summary>
    private static readonly string[] StatusLineWords = ["sent", "delivered", "read", "failed", "undelivered"];

    /// <summary>What the model is told about the auto-injected <c>message</c> parameter.</summary>
    internal const string InjectedMessageDescription = "The exact text to send to the caller. Keep it short and self-contained; it is sent as written.";

    /// <summary>The most media URLs a message may carry (Twilio's limit for MMS).</summary>
    internal const int MaxMediaUrls = 10;

    /// <summary>The most media URLs a WhatsApp message may carry: WhatsApp delivers one attachment per message.</summary>
    internal const int MaxWhatsAppMediaUrls = 1;

    /// <summary>The most deliveries the deduplication store may reserve room for (about 2 GB).</summary>
    internal const int MaxDeduplicationCapacity = 50_000_000;

    private readonly Dictionary<string, string> _senderByAddress;

    private ActionCatalog(IReadOnlyList<CompiledAction> actions, Dictionary<string, string> senderByAddress)
    {
        Actions = actions;
        _senderByAddress = senderByAddress;
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
    public string? ResolveSender(string to, string? messagingServiceSid)
    {
        if (_senderByAddress.TryGetValue(PhoneNumbers.NormalizeOrKeep(to), out var byNumber))
        {
            return byNumber;
        }

        return messagingServiceSid is not null && _senderByAddress.TryGetValue(messagingServiceSid, out var byService) ? byService : null;
    }

    private static ActionCatalog Compile(InCallMessagingOptions options, IReadOnlyDictionary<string, IMessageProvider?> providers, out List<string> errors)
    {
        errors = [];
        ValidateGlobals(options, errors);
        var senderByAddress = ValidateSenders(options, providers, errors);

        var knownCallVariables = new HashSet<string>(StringComparer.Ordinal)
        {
            CallVariables.UserPhoneNumber, CallVariables.AgentPhoneNumber, CallVariables.CallId,
            CallVariables.SmsReply, CallVariables.WhatsAppReply, CallVariables.SmsStatus, CallVariables.WhatsAppStatus,
        };
        knownCallVariables.UnionWith(options.Variables);
        knownCallVariables.UnionWith(options.MetadataKeys);
        foreach (var action in options.Actions)
        {
            if (!string.IsNullOrWhiteSpace(action.ReplyVariable))
            {
                knownCallVariables.Add(action.ReplyVariable);
            }
        }

        var compiled = new List<CompiledAction>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var index = 0; index < options.Actions.Count; index++)
        {
            var action = options.Actions[index];
            var label = string.IsNullOrWhiteSpace(action.Name) ? $"Actions[{index}]" : $"Action '{action.Name}'";
            var before = errors.Count;
            ValidateName(options.PluginName, action, label, seen, errors);
            var result = CompileAction(action, label, options, providers, knownCallVariables, errors);
            if (errors.Count == before && result is not null)
            {
                compiled.Add(result);
            }
        }

        return new ActionCatalog(compiled, senderByAddress);
    }

    private static void ValidateGlobals(InCallMessagingOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.PluginName) || !PluginNamePattern().IsMatch(options.PluginName))
        {
            errors.Add($"PluginName '{options.PluginName}' must be letters, digits and '_' only (for example 'messaging').");
        }

        if (options.MaxMessagesPerCall < 1)
        {
            errors.Add($"MaxMessagesPerCall is {options.MaxMessagesPerCall}: set it to 1 or more (default 5).");
        }

        if (options.DuplicateSuppressionWindow < TimeSpan.Zero)
        {
            errors.Add("DuplicateSuppressionWindow must not be negative: use 00:00:00 to turn it off.");
        }

        if (options.EndedCallRetention <= TimeSpan.Zero)
        {
            errors.Add("EndedCallRetention must be positive (default 24:00:00) so late replies still find their call.");
        }

        if (options.EvictionInterval <= TimeSpan.Zero)
        {
            errors.Add("EvictionInterval must be positive (default 00:01:00).");
        }

        if (options.MaxReplyLength < 1)
        {
            errors.Add("MaxReplyLength must be 1 or more (default 1000).");
        }

        if (options.DeduplicationCapacity is < 0 or > MaxDeduplicationCapacity)
        {
            errors.Add($"DeduplicationCapacity is {options.DeduplicationCapacity}: set it between 0 (grow as needed, the default) and {MaxDeduplicationCapacity:N0}.");
        }

        if (options.MaxReceivedMessagesPerCall < 1)
        {
            errors.Add($"MaxReceivedMessagesPerCall is {options.MaxReceivedMessagesPerCall}: set it to 1 or more (default 50).");
        }

        if (options.MaxPendingReplyLines < 1)
        {
            errors.Add($"MaxPendingReplyLines is {options.MaxPendingReplyLines}: set it to 1 or more (default 10).");
        }

        var policy = options.RecipientPolicy ?? new RecipientPolicyOptions();
        foreach (var code in policy.AllowedCountryCodes.Where(c => !PhoneNumbers.IsCountryCode(c)))
        {
            errors.Add($"RecipientPolicy.AllowedCountryCodes: {code} is not a country calling code (write 44 for the United Kingdom, without '+').");
        }

        foreach (var type in (policy.BlockedNumberTypes ?? []).Where(t => !PhoneNumbers.TryParseNumberType(t, out _)))
        {
            errors.Add($"RecipientPolicy.BlockedNumberTypes: '{type}' is not a number type; use {string.Join(", ", RecipientPolicyOptions.DefaultBlockedNumberTypes)}, TollFree, Voip, FixedLine, Mobile or Unknown.");
        }

        if (policy.MaxRecipientsPerCall < 1)
        {
            errors.Add($"RecipientPolicy.MaxRecipientsPerCall is {policy.MaxRecipientsPerCall}: set it to 1 or more (default 3).");
        }

        if (options.Actions.Count == 0)
        {
            errors.Add("Actions is empty: configure at least one action under InCallMessaging:Actions.");
        }
    }

    private static Dictionary<string, string> ValidateSenders(InCallMessagingOptions options, IReadOnlyDictionary<string, IMessageProvider?> providers, List<string> errors)
    {
        var byAddress = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, sender) in options.Senders)
        {
            var label = $"Sender '{name}'";
            if (!providers.ContainsKey(sender.Provider))
            {
                errors.Add($"{label}: Provider '{sender.Provider}' is not registered; use one of {string.Join(", ", providers.Keys.Select(k => $"'{k}'"))} (Twilio needs services.AddInCallMessagingTwilio(...)).");
            }

            if (sender.From is not null)
            {
                if (PhoneNumbers.TryNormalize(sender.From, out var from))
                {
                    byAddress[from] = name;
                }
                else
                {
                    errors.Add($"{label}: From '{sender.From}' must be a phone number in E.164 form such as +14155550100.");
                }
            }

            if (sender.MessagingServiceSid is not null)
            {
                if (MessagingServicePattern().IsMatch(sender.MessagingServiceSid))
                {
                    byAddress[sender.MessagingServiceSid] = name;
                }
                else
                {
                    errors.Add($"{label}: MessagingServiceSid '{sender.MessagingServiceSid}' must be 'MG' followed by 32 hex digits.");
                }
            }

            if (string.Equals(sender.Provider, "Http", StringComparison.OrdinalIgnoreCase))
            {
                if (sender.Url is null || !sender.Url.IsAbsoluteUri)
                {
                    errors.Add($"{label}: Url is required for the Http provider: set the absolute https:// endpoint that receives the messages.");
                }
                else if (sender.Url.Scheme != Uri.UriSchemeHttps && !sender.Url.IsLoopback)
                {
                    errors.Add($"{label}: Url '{sender.Url}' must use https:// (plain http is allowed only for loopback addresses).");
                }

                if (sender.Timeout <= TimeSpan.Zero || sender.Timeout > TimeSpan.FromMinutes(2))
                {
                    errors.Add($"{label}: Timeout {sender.Timeout} must be between 00:00:00.001 and 00:02:00.");
                }
            }

            byAddress.TryAdd(name, name);
        }

        return byAddress;
    }

    private static void ValidateName(string pluginName, InCallMessageAction action, string label, HashSet<string> seen, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(action.Name))
        {
            errors.Add($"{label}: Name is required: it becomes the function name (letters, digits, '_' or '-').");
            return;
        }

        if (!FunctionNamePattern().IsMatch(action.Name))
        {
            errors.Add($"{label}: Name must contain only letters, digits, '_' or '-' (for example 'send_otp').");
        }

        if (pluginName.Length + 1 + action.Name.Length > MaxToolNameLength)
        {
            errors.Add($"{label}: Name is too long: plugin name '{pluginName}' + 1 + name must be at most {MaxToolNameLength} characters (it is {pluginName.Length + 1 + action.Name.Length}); shorten the name.");
        }

        if (!seen.Add(action.Name))
        {
            errors.Add($"{label}: Name is used by another action; action names must be unique (case-insensitive).");
        }
    }

    private static CompiledAction? CompileAction(InCallMessageAction action, string label, InCallMessagingOptions options,
        IReadOnlyDictionary<string, IMessageProvider?> providers, HashSet<string> knownCallVariables, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(action.Description))
        {
            errors.Add($"{label}: Description is required: say when the agent should call this action (it is what makes the LLM use it).");
        }

        MessageSenderOptions? sender = null;
        IMessageProvider? provider = null;
        if (!options.Senders.TryGetValue(action.Sender ?? "", out sender))
        {
            var known = options.Senders.Count == 0 ? "none is configured: add one under InCallMessaging:Senders" : "configured: " + string.Join(", ", options.Senders.Keys.Select(k => $"'{k}'"));
            errors.Add($"{label}: Sender '{action.Sender}' is not a configured sender ({known}).");
        }
        else
        {
            providers.TryGetValue(sender.Provider, out provider);
        }

        if (action.ReplyTimeout < InCallMessageAction.MinReplyTimeout || action.ReplyTimeout > InCallMessageAction.MaxReplyTimeout)
        {
            errors.Add($"{label}: ReplyTimeout {action.ReplyTimeout} is out of range: use 00:00:01 to 00:10:00 (default 00:01:00).");
        }

        if (!string.IsNullOrWhiteSpace(action.ReplyVariable) && !IdentifierPattern().IsMatch(action.ReplyVariable))
        {
            errors.Add($"{label}: ReplyVariable '{action.ReplyVariable}' must be an identifier (letters, digits and '_', not starting with a digit).");
        }

        var parameters = CompileParameters(action, label, errors);
        var parameterNames = new HashSet<string>(parameters.Select(p => p.Key), StringComparer.Ordinal);
        var hasBody = !string.IsNullOrWhiteSpace(action.Body);
        var injectsMessage = !hasBody && action.Template is null && !parameterNames.Contains(CallVariables.Message);
        if (!hasBody && action.Template is null && parameterNames.Contains(CallVariables.Message)
            && action.Parameters?.Required.Contains(CallVariables.Message) != true)
        {
            errors.Add($"{label}: the 'message' parameter is the text to send (Body is empty), so it must be listed in Parameters.Required.");
        }

        if (injectsMessage)
        {
            parameterNames.Add(CallVariables.Message);
            parameters.Add(new(CallVariables.Message, ParameterSchema.Text(InjectedMessageDescription)));
        }

        var allowed = new HashSet<string>(knownCallVariables, StringComparer.Ordinal);
        allowed.UnionWith(parameterNames);
        var variables = new List<string>();

        MessageTemplate? Parse(string? source, string field, List<string>? reads = null)
        {
            reads ??= variables;
            if (string.IsNullOrWhiteSpace(source))
            {
                return null;
            }

            if (!MessageTemplate.TryParse(source, out var template, out var error))
            {
                errors.Add($"{label}: {field} has a template {error}.");
                return null;
            }

            foreach (var variable in template!.Variables)
            {
                if (!allowed.Contains(variable))
                {
                    var literal = source.Contains($"<{variable}>", StringComparison.Ordinal)
                        ? $" To send '<{variable}>' as written, escape it as '\\<{variable}>'."
                        : "";
                    errors.Add($"{label}: {field} uses placeholder '{variable}', which can never be filled: declare it under Parameters, list it in Variables, or use a call variable ({string.Join(", ", knownCallVariables.Order(StringComparer.Ordinal))}).{literal}");
                }
                else if (!reads.Contains(variable))
                {
                    reads.Add(variable);
                }
            }

            return template;
        }

        var body = Parse(action.Body, "Body");
        var to = Parse(action.ToPhoneNumber, "ToPhoneNumber");
        var media = new List<MessageTemplate>(action.MediaUrls.Count);
        for (var i = 0; i < action.MediaUrls.Count; i++)
        {
            if (Parse(action.MediaUrls[i], $"MediaUrls[{i}]") is not { } url)
            {
                continue;
            }

            // A URL that reads no values renders the same on every send: check it now.
            if (url.Variables.Count == 0 && url.Render([]).Trim() is { Length: > 0 } fixedUrl && !MediaUrl.TryParse(fixedUrl, out _))
            {
                errors.Add($"{label}: MediaUrls[{i}] '{fixedUrl}' must be an absolute https:// URL (the messaging service fetches the file from it; plain http is not allowed).");
            }

            media.Add(url);
        }

        if (injectsMessage || (!hasBody && parameterNames.Contains(CallVariables.Message)))
        {
            variables.Add(CallVariables.Message);
        }

        // Spoken lines render with the same values as the body, but a value only they read never holds up the send.
        var spokenVariables = new List<string>();
        var beforeAction = Parse(action.MessageBeforeAction, nameof(action.MessageBeforeAction), spokenVariables);
        var onFailure = Parse(action.MessageOnFailure, nameof(action.MessageOnFailure), spokenVariables);
        var onDelay = Parse(action.MessageOnDelay, nameof(action.MessageOnDelay), spokenVariables);
        if (action.DelayThreshold < InCallMessageAction.MinDelayThreshold || action.DelayThreshold > InCallMessageAction.MaxDelayThreshold)
        {
            errors.Add($"{label}: DelayThreshold {action.DelayThreshold} is out of range: use 00:00:00.1 to 00:01:00 (default 00:00:02).");
        }

        var contentVariables = new List<KeyValuePair<string, MessageTemplate>>();
        if (action.Template is { } whatsApp)
        {
            if (action.Channel != MessageChannel.WhatsApp)
            {
                errors.Add($"{label}: Template is for WhatsApp only; set Channel to WhatsApp or remove Template.");
            }

            if (!ContentSidPattern().IsMatch(whatsApp.ContentSid ?? ""))
            {
                errors.Add($"{label}: ContentSid '{whatsApp.ContentSid}' must be 'HX' followed by 32 hex digits (the approved template's SID from Twilio Content).");
            }

            foreach (var (key, source) in whatsApp.Variables.OrderBy(v => int.TryParse(v.Key, out var n) ? n : int.MaxValue))
            {
                if (!int.TryParse(key, out var number) || number < 1 || key != number.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    errors.Add($"{label}: Template variable key '{key}' must be a number \"1\", \"2\", ... as in the approved template.");
                    continue;
                }

                var template = Parse(source, $"Template.Variables[\"{key}\"]");
                if (template is not null)
                {
                    contentVariables.Add(new(key, template));
                }
            }

            if (whatsApp.Variables.Count > 100)
            {
                errors.Add($"{label}: Template has {whatsApp.Variables.Count} variables; Twilio allows at most 100.");
            }
        }

        foreach (var status in action.StatusLines ?? [])
        {
            if (!StatusLineWords.Contains(status))
            {
                errors.Add($"{label}: StatusLines has '{status}'; use any of {string.Join(", ", StatusLineWords)}.");
            }
        }

        if (action.MediaUrls.Count > MaxMediaUrls)
        {
            errors.Add($"{label}: MediaUrls has {action.MediaUrls.Count} entries; at most {MaxMediaUrls} are allowed.");
        }
        else if (action.Channel == MessageChannel.WhatsApp && action.MediaUrls.Count > MaxWhatsAppMediaUrls)
        {
            // WhatsApp delivers one attachment per message and ignores the rest without an error.
            errors.Add($"{label}: MediaUrls has {action.MediaUrls.Count} entries, but a WhatsApp message carries only one attachment (the others would be dropped); keep one, or add an action per file.");
        }

        if (sender is null || provider is null)
        {
            return null;
        }

        return new CompiledAction
        {
            Definition = action,
            Name = action.Name,
            SenderName = options.Senders.Keys.First(k => string.Equals(k, action.Sender, StringComparison.OrdinalIgnoreCase)),
            Sender = sender,
            Provider = provider,
            Body = body,
            InjectsMessage = injectsMessage,
            To = to,
            ContentVariables = contentVariables,
            MediaUrls = media,
            BeforeAction = beforeAction,
            OnFailure = onFailure,
            OnDelay = onDelay,
            SpokenVariables = [.. spokenVariables.Where(v => !variables.Contains(v))],
            ParameterNames = parameterNames,
            Parameters = parameters,
            RequiredParameters = injectsMessage
                ? new HashSet<string>(action.Parameters?.Required ?? [], StringComparer.Ordinal) { CallVariables.Message }
                : new HashSet<string>(action.Parameters?.Required ?? [], StringComparer.Ordinal),
            Variables = variables,
            ReplyVariable = action.EffectiveReplyVariable,
            StatusLines = action.StatusLines is null ? CompiledAction.DefaultStatusLines : new HashSet<string>(action.StatusLines, StringComparer.Ordinal),
            FallbackMessage = string.IsNullOrWhiteSpace(action.FallbackMessage) ? InCallMessageAction.DefaultFallbackMessage : action.FallbackMessage,
        };
    }

    private static List<KeyValuePair<string, ParameterSchema>> CompileParameters(InCallMessageAction action, string label, List<string> errors)
    {
        var compiled = new List<KeyValuePair<string, ParameterSchema>>();
        if (action.Parameters is not { } parameters)
        {
            return compiled;
        }

        foreach (var (name, parameter) in parameters.Properties)
        {
            if (!IdentifierPattern().IsMatch(name))
            {
                errors.Add($"{label}: parameter '{name}' must be an identifier (letters, digits and '_', not starting with a digit) so templates can use it.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(parameter.Description))
            {
                errors.Add($"{label}: parameter '{name}' needs a Description: it tells the LLM what to collect.");
            }

            if (ParameterSchema.Compile(parameter, $"{label}: parameter '{name}'", errors) is { } schema)
            {
                compiled.Add(new(name, schema));
            }
        }

        foreach (var required in parameters.Required)
        {
            if (!parameters.Properties.ContainsKey(required))
            {
                errors.Add($"{label}: Parameters.Required lists '{required}', which is not under Parameters.Properties.");
            }
        }

        return compiled;
    }

    [GeneratedRegex("^[0-9A-Za-z_]+$")]
    private static partial Regex PluginNamePattern();

    [GeneratedRegex("^[0-9A-Za-z_-]+$")]
    private static partial Regex FunctionNamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^HX[0-9a-fA-F]{32}$")]
    private static partial Regex ContentSidPattern();

    [GeneratedRegex("^MG[0-9a-fA-F]{32}$")]
    private static partial Regex MessagingServicePattern();
}
