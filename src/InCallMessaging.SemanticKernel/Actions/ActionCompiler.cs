using System.Text.RegularExpressions;
using InCallMessaging.SemanticKernel.Templates;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// Compiles one configured action: its templates parsed once (every placeholder checked against what can fill it),
/// its parameters' schemas, its sender and provider, its spoken lines, media and WhatsApp template. Problems are listed,
/// each naming the action, the field and the fix.
/// </summary>
internal static partial class ActionCompiler
{
    /// <summary>What the model is told about the auto-injected <c>message</c> parameter.</summary>
    internal const string InjectedMessageDescription = "The exact text to send to the caller. Keep it short and self-contained; it is sent as written.";

    /// <summary>The most media URLs an action may attach (Twilio's limit for MMS).</summary>
    internal const int MaxMediaUrls = 10;

    /// <summary>WhatsApp delivers one attachment per message.</summary>
    internal const int MaxWhatsAppMediaUrls = 1;

    /// <summary>The delivery statuses an action may turn into transcript lines.</summary>
    private static readonly string[] StatusLineWords = ["sent", "delivered", "read", "failed", "undelivered"];

    /// <summary>The call variables every template may read without declaring them.</summary>
    public static HashSet<string> KnownCallVariables(InCallMessagingOptions options)
    {
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            CallVariables.UserPhoneNumber, CallVariables.AgentPhoneNumber, CallVariables.CallId,
            CallVariables.SmsReply, CallVariables.WhatsAppReply, CallVariables.SmsStatus, CallVariables.WhatsAppStatus,
        };
        known.UnionWith(options.Variables);
        known.UnionWith(options.MetadataKeys);
        foreach (var action in options.Actions)
        {
            if (!string.IsNullOrWhiteSpace(action.ReplyVariable))
            {
                known.Add(action.ReplyVariable);
            }
        }

        return known;
    }

    public static CompiledAction? Compile(InCallMessageAction action, string label, InCallMessagingOptions options,
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

        if (!Enum.IsDefined(action.When))
        {
            errors.Add($"{label}: When '{action.When}' is not a timing: use DuringCall (the default) or AfterCall.");
        }
        else if (action.When == ActionTiming.AfterCall && action.WaitForReply)
        {
            errors.Add($"{label}: WaitForReply cannot be true when When is AfterCall (the text goes out after the call, when nobody waits for a reply): set WaitForReply to false or When to DuringCall.");
        }

        var replyPattern = CompileReplyPattern(action, label, errors);
        var reminderInterval = action.ReminderInterval ?? action.ReplyTimeout / 2;
        if (action.ReminderInterval is { } interval && (interval < InCallMessageAction.MinReplyTimeout || interval >= action.ReplyTimeout))
        {
            errors.Add($"{label}: ReminderInterval {interval} is out of range: use 00:00:01 up to less than ReplyTimeout ({action.ReplyTimeout}), or leave it empty for half of it.");
        }

        if (!action.WaitForReply && (!string.IsNullOrWhiteSpace(action.ReplyPattern) || !string.IsNullOrWhiteSpace(action.ReminderMessage) || action.ReminderInterval is not null))
        {
            errors.Add($"{label}: ReplyPattern, ReminderMessage and ReminderInterval apply to a wait: set WaitForReply to true, or remove them.");
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

            foreach (var (key, source) in whatsApp.Variables.OrderBy(v => int.TryParse(v.Key, out var n) ? n : int.MaxValue))
            {
                // Numbered or named, as the provider's templates are: which of the two it takes is the provider's rule (ValidateAction).
                if (!IsTemplateVariableKey(key))
                {
                    errors.Add($"{label}: Template variable key '{key}' must be a number \"1\", \"2\", ... or a name (a letter, then letters, digits, '_' or '.') as in the approved template.");
                    continue;
                }

                var template = Parse(source, $"Template.Variables[\"{key}\"]");
                if (template is not null)
                {
                    contentVariables.Add(new(key, template));
                }
            }
        }

        // The provider's own rules for the action (its template id's shape, how many template variables it takes).
        foreach (var problem in provider?.ValidateAction(action) ?? [])
        {
            errors.Add($"{label}: {problem}");
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
            Parameters = [.. parameters],
            RequiredParameters = injectsMessage
                ? new HashSet<string>(action.Parameters?.Required ?? [], StringComparer.Ordinal) { CallVariables.Message }
                : new HashSet<string>(action.Parameters?.Required ?? [], StringComparer.Ordinal),
            Variables = [.. variables],
            ReplyVariable = action.EffectiveReplyVariable,
            StatusLines = action.StatusLines is null ? CompiledAction.DefaultStatusLines : new HashSet<DeliveryState>(action.StatusLines.Select(DeliveryStatus.FromWord)),
            FallbackMessage = string.IsNullOrWhiteSpace(action.FallbackMessage) ? InCallMessageAction.DefaultFallbackMessage : action.FallbackMessage,
            ReplyPattern = replyPattern,
            Reminder = string.IsNullOrWhiteSpace(action.ReminderMessage) ? null : action.ReminderMessage.Trim(),
            ReminderInterval = reminderInterval,
        };
    }

    private static Regex? CompileReplyPattern(InCallMessageAction action, string label, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(action.ReplyPattern))
        {
            return null;
        }

        try
        {
            return new Regex(action.ReplyPattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{label}: ReplyPattern '{action.ReplyPattern}' is not a valid regular expression ({ex.Message}); write one such as [0-9]{{6}}.");
            return null;
        }
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

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    /// <summary>Whether a template variable key is a number ("1", "2", ...) or a name (a letter, then letters, digits, '_' or '.').</summary>
    internal static bool IsTemplateVariableKey(string key) => TemplateVariableKeyPattern().IsMatch(key);

    [GeneratedRegex("^(?:[1-9][0-9]{0,8}|[A-Za-z][A-Za-z0-9_.]{0,99})$")]
    private static partial Regex TemplateVariableKeyPattern();
}
