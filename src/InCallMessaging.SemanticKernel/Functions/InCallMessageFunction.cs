using System.Diagnostics;
using System.Text.Json;
using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Diagnostics;
using InCallMessaging.SemanticKernel.Replies;
using InCallMessaging.SemanticKernel.Sending;
using InCallMessaging.SemanticKernel.Templates;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// The body of one action's kernel function: the send flow of DESIGN.md. Resolve the call, render, check, speak,
/// send, record, optionally wait, and answer the LLM with a short JSON result. Nothing here throws into the LLM loop
/// except cancellation.
/// </summary>
internal sealed class InCallMessageFunction
{
    private readonly CompiledAction _action;
    private readonly ICallSessionRegistry _calls;
    private readonly CustomerConsent _consent;
    private readonly InCallMessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecipientPolicy _recipientPolicy;

    public InCallMessageFunction(CompiledAction action, ICallSessionRegistry calls, CustomerConsent consent,
        InCallMessagingOptions options, TimeProvider time, ILogger logger)
    {
        _recipientPolicy = new RecipientPolicy(options.RecipientPolicy ?? new RecipientPolicyOptions());
        _action = action;
        _calls = calls;
        _consent = consent;
        _options = options;
        _time = time;
        _logger = logger;
    }

    private MessageChannel Channel => _action.Definition.Channel;

    public KernelFunction CreateKernelFunction() =>
        KernelFunctionFactory.CreateFromMethod(
            InvokeAsync,
            new KernelFunctionFromMethodOptions
            {
                FunctionName = _action.Name,
                Description = _action.Definition.Description,
                Parameters = BuildParameters(),
                ReturnParameter = new KernelReturnParameterMetadata
                {
                    Description = "JSON: status (sent, replied, answered_by_voice, no_reply, failed, blocked, missing_values, invalid_arguments), the masked recipient, the message id, the reply text or a reason.",
                    ParameterType = typeof(string),
                },
            });

    private List<KernelParameterMetadata> BuildParameters() =>
        [.. _action.Parameters.Select(pair => new KernelParameterMetadata(pair.Key)
        {
            Description = pair.Value.Definition.Description,
            IsRequired = _action.RequiredParameters.Contains(pair.Key),
            ParameterType = pair.Value.ClrType,
            Schema = KernelJsonSchema.Parse(pair.Value.ToJson()),
        })];

    internal async Task<string> InvokeAsync(Kernel kernel, KernelArguments arguments, CancellationToken cancellationToken)
    {
        using var activity = InCallMessagingTelemetry.ActivitySource.StartActivity("incall_messaging.action");
        activity?.SetTag("incall_messaging.action", _action.Name);
        var session = kernel.GetCallSession();
        var spoken = new SpokenContext();
        var result = await RunAsync(session, arguments, activity, spoken, cancellationToken).ConfigureAwait(false);
        if (spoken.Values is { } values && session is { IsActive: true } && IsSendFailure(result))
        {
            await SpeakLineAsync(session, _action.OnFailure, nameof(InCallMessageAction.MessageOnFailure), values, cancellationToken).ConfigureAwait(false);
        }

        activity?.SetTag("incall_messaging.status", result.Status);
        return result.ToJson();
    }

    private async Task<ActionResult> RunAsync(CallSession? session, KernelArguments arguments, Activity? activity, SpokenContext spoken, CancellationToken cancellationToken)
    {
        if (session is null)
        {
            Log.NoCallSession(_logger, _action.Name);
            return Block("no_call", "No live call is bound to this conversation, so nothing was sent.");
        }

        activity?.SetTag("incall_messaging.call_id", session.CallId);
        if (!session.IsActive)
        {
            return Block("call_ended", "The call has ended, so nothing was sent.");
        }

        // Every argument is bound and checked before anything is said or sent.
        var values = new List<KeyValuePair<string, object?>>(_action.Variables.Count);
        List<ArgumentProblem>? problems = null;
        List<string>? absent = null;
        string? modelText = null;
        foreach (var (name, schema) in _action.Parameters)
        {
            arguments.TryGetValue(name, out var raw);
            if (schema.TryBind(raw, name, problems ??= [], out var value))
            {
                modelText = name == CallVariables.Message ? value as string : modelText;
            }
            else if (_action.RequiredParameters.Contains(name))
            {
                (absent ??= []).Add(name);
            }

            // An optional parameter the model left out renders empty (or as the template's own default).
            if (_action.Variables.Contains(name) || _action.SpokenVariables.Contains(name))
            {
                values.Add(new(name, value));
            }
        }

        if (problems is { Count: > 0 })
        {
            return InvalidArguments(session, problems, absent);
        }

        // What is missing, in the order the templates use it, then required parameters no template uses.
        List<string>? missing = null;
        foreach (var name in _action.Variables)
        {
            if (_action.ParameterNames.Contains(name))
            {
                if (absent?.Contains(name) == true)
                {
                    (missing ??= []).Add(name);
                }

                continue;
            }

            var value = session.GetVariable(name);
            if (string.IsNullOrWhiteSpace(value))
            {
                (missing ??= []).Add(name);
            }
            else
            {
                values.Add(new(name, value));
            }
        }

        foreach (var name in absent ?? [])
        {
            if (missing?.Contains(name) != true)
            {
                (missing ??= []).Add(name);
            }
        }

        if (missing is not null)
        {
            InCallMessagingTelemetry.MessagesBlocked.Add(1, new KeyValuePair<string, object?>("reason", "missing_values"));
            Log.MissingValues(_logger, _action.Name, session.CallId, string.Join(", ", missing));
            return new ActionResult(ActionResult.MissingValues, Channel, Missing: missing,
                Detail: $"Nothing was sent. Ask the caller for: {string.Join(", ", missing)}, then call this function again with them.");
        }

        // From here on every result can be spoken about; a call variable only a spoken line reads may still be unset.
        foreach (var name in _action.SpokenVariables)
        {
            if (!_action.ParameterNames.Contains(name) && session.GetVariable(name) is { Length: > 0 } spokenValue)
            {
                values.Add(new(name, spokenValue));
            }
        }

        spoken.Values = values;
        if (RenderMediaUrls(values, out var mediaProblems) is not { } media)
        {
            return InvalidArguments(session, mediaProblems!, null);
        }

        // The caller's number was checked once when the call started; only a templated recipient needs checking here.
        string to = session.CallerNumber;
        if (_action.To is null ? !session.CallerIsTextable : !PhoneNumbers.TryNormalize(_action.To.Render(values), out to))
        {
            return Block("invalid_recipient", _action.To is null
                ? "The caller's number cannot receive texts (it is withheld or not a full international number). Offer to read the information aloud."
                : "The recipient is not a valid phone number in international format (like +14155550100). Ask the caller to repeat it with the country code.");
        }

        if (_action.To is not null && _recipientPolicy.Check(to, session.CallerNumber, _action.Sender.From) is { } notAllowed)
        {
            return Block("recipient_not_allowed", $"That number cannot be texted from this call: {notAllowed}. Nothing was sent. Offer to text the caller's own number instead, or read the information aloud.");
        }

        // Without a body the text is the LLM's own `message` argument (injected, or declared by the action).
        var text = _action.Body is null ? modelText : _action.Body.Render(values);
        if (string.IsNullOrWhiteSpace(text) && _action.Definition.Template is null)
        {
            return new ActionResult(ActionResult.MissingValues, Channel, Missing: [CallVariables.Message],
                Detail: "Nothing was sent: the message text is empty. Call this function again with the text to send.");
        }

        var useTemplate = ChooseTemplate(to, text);
        if (useTemplate is null)
        {
            return Block("whatsapp_window_closed",
                "WhatsApp allows free-form messages only within 24 hours of the caller's last WhatsApp message, and this action has no approved template. Offer to send an SMS instead or read the information aloud.");
        }

        if (_consent.IsOptedOut(to, _action.SenderName))
        {
            return Block("opted_out", "The caller has opted out of texts from this number (they replied STOP). Do not retry; read the information aloud instead.");
        }

        var message = BuildMessage(session, to, useTemplate.Value ? null : text, useTemplate.Value, values, media);
        var duplicateKey = DuplicateKey(message);
        var reservedAt = _time.GetUtcNow();
        switch (session.TryReserveSend(duplicateKey, to, reservedAt, _options.DuplicateSuppressionWindow, _options.MaxMessagesPerCall, _recipientPolicy.MaxRecipientsPerCall))
        {
            case SendReservation.Duplicate:
                return Block("duplicate", "This exact message was already sent to the caller moments ago; it was not sent again. Ask the caller whether it arrived.");
            case SendReservation.MayHaveBeenSent:
                return Block("may_have_been_sent", "An identical message went out moments ago but the messaging service never confirmed it, so it may already have arrived; it was not sent again. Ask the caller whether they received it before trying anything else.");
            case SendReservation.LimitReached:
                return Block("message_limit", $"The limit of {_options.MaxMessagesPerCall} messages for this call is reached; nothing was sent. Continue by voice.");
            case SendReservation.RecipientLimitReached:
                return Block("recipient_not_allowed", $"This call has already texted {_recipientPolicy.MaxRecipientsPerCall} different numbers, the most allowed; nothing was sent. Offer to text a number already used, or read the information aloud.");
        }

        await SpeakLineAsync(session, _action.BeforeAction, nameof(InCallMessageAction.MessageBeforeAction), values, cancellationToken).ConfigureAwait(false);

        var wait = _action.Definition.WaitForReply ? session.BeginWait(Channel, _action.SenderName, _time.GetUtcNow()) : null;
        try
        {
            var sent = await SendAsync(session, message, spoken, cancellationToken).ConfigureAwait(false);
            if (!sent.Succeeded && sent.Failure == SendFailureReason.WhatsAppWindowClosed && !useTemplate.Value && _action.Definition.Template is not null)
            {
                _logger.LogInformation("Action {Action}: WhatsApp window closed at the provider; sending the approved template instead.", _action.Name);
                message = BuildMessage(session, to, null, useTemplate: true, values, media);
                sent = await SendAsync(session, message, spoken, cancellationToken).ConfigureAwait(false);
            }

            if (!sent.Succeeded && sent.MayHaveBeenSent)
            {
                // Never repeated automatically: the reservation stays, and the message is recorded as of unknown outcome
                // so a status callback that names its reference can still settle it.
                session.MarkOutcomeUnknown(duplicateKey, reservedAt);
                Record(session, message, message.ClientReference, CallMessage.UnknownStatus, new SendReservationKey(duplicateKey, reservedAt));
            }
            else if (!sent.Succeeded)
            {
                session.ReleaseSend(duplicateKey, reservedAt);
            }

            if (!sent.Succeeded)
            {
                if (sent.Failure == SendFailureReason.OptedOut)
                {
                    _consent.RecordOptOut(to, _action.SenderName);
                }

                InCallMessagingTelemetry.MessagesFailed.Add(1, new KeyValuePair<string, object?>("reason", Snake(sent.Failure)));
                Log.SendFailed(_logger, _options.MaskPersonalData, _action.Name, session.CallId, to, Snake(sent.Failure), sent.ErrorCode);
                return new ActionResult(ActionResult.Failed, Channel, Mask(to), Reason: Snake(sent.Failure), Detail: sent.Detail);
            }

            if (wait is not null)
            {
                // Set before the message is findable, so a failed-status callback racing this line still ends the wait.
                wait.MessageId = sent.MessageId;
            }

            var record = Record(session, message, sent.MessageId!, sent.Status, new SendReservationKey(duplicateKey, reservedAt));
            if (message.Content is null && Channel == MessageChannel.WhatsApp && _action.Definition.Template is not null)
            {
                // If WhatsApp's window turns out closed only in a status callback, the approved template goes instead, once.
                record.TemplateFallback = ct => SendTemplateInsteadAsync(session, to, values, ct);
            }

            if (wait is null)
            {
                return new ActionResult(ActionResult.Sent, Channel, Mask(to), sent.MessageId,
                    Detail: "The message was sent. If the caller texts back, the reply will appear in the conversation.");
            }

            return await WaitAsync(session, wait, to, sent.MessageId!, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (wait is not null)
            {
                session.EndWait(wait);
            }
        }
    }

    /// <summary>Records a message that went out (or may have) on the call and indexes it, so replies and statuses find it.</summary>
    private CallMessage Record(CallSession session, OutboundMessage message, string messageId, string? status, SendReservationKey reservation)
    {
        var record = new CallMessage(MessageDirection.Outbound, Channel, messageId, _action.SenderName, message.To,
            message.Body ?? $"[template {message.Content?.ContentSid}]", _time.GetUtcNow(), _action.Name, status)
        {
            ClientReference = message.ClientReference,
            Reservation = reservation,
        };
        session.RecordOutbound(record, _action.ReplyVariable);
        _calls.IndexOutbound(session, record);
        if (status != CallMessage.UnknownStatus)
        {
            InCallMessagingTelemetry.MessagesSent.Add(1, new KeyValuePair<string, object?>("channel", Channel == MessageChannel.WhatsApp ? "whatsapp" : "sms"));
            Log.MessageSent(_logger, _options.MaskPersonalData, _action.Name, session.CallId, messageId, message.Body, message.To);
        }

        return record;
    }

    /// <summary>
    /// Sends the action's approved WhatsApp template in place of a free-form message the provider refused after the
    /// fact (the 24-hour window had closed), under the same guards as any send. Returns its message id, or
    /// <see langword="null"/> when it was not sent.
    /// </summary>
    private async Task<string?> SendTemplateInsteadAsync(CallSession session, string to, List<KeyValuePair<string, object?>> values, CancellationToken cancellationToken)
    {
        if (!session.IsActive || _consent.IsOptedOut(to, _action.SenderName))
        {
            return null;
        }

        var message = BuildMessage(session, to, null, useTemplate: true, values, media: []);
        var duplicateKey = DuplicateKey(message);
        var reservedAt = _time.GetUtcNow();
        if (session.TryReserveSend(duplicateKey, to, reservedAt, _options.DuplicateSuppressionWindow, _options.MaxMessagesPerCall, _recipientPolicy.MaxRecipientsPerCall) != SendReservation.Reserved)
        {
            return null;
        }

        var sent = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (!sent.Succeeded)
        {
            if (sent.MayHaveBeenSent)
            {
                session.MarkOutcomeUnknown(duplicateKey, reservedAt);
            }
            else
            {
                session.ReleaseSend(duplicateKey, reservedAt);
            }

            Log.SendFailed(_logger, _options.MaskPersonalData, _action.Name, session.CallId, to, Snake(sent.Failure), sent.ErrorCode);
            return null;
        }

        return Record(session, message, sent.MessageId!, sent.Status, new SendReservationKey(duplicateKey, reservedAt)).MessageId;
    }

    /// <summary>Free-form (<see langword="false"/>), template (<see langword="true"/>), or nothing can be sent (<see langword="null"/>).</summary>
    private bool? ChooseTemplate(string to, string? text)
    {
        var hasTemplate = _action.Definition.Template is not null;
        if (Channel != MessageChannel.WhatsApp)
        {
            return false;
        }

        if (text is null)
        {
            return hasTemplate ? true : null;
        }

        if (_consent.IsWhatsAppWindowOpen(to, _action.SenderName, _time.GetUtcNow()))
        {
            return false;
        }

        return hasTemplate ? true : null;
    }

    private OutboundMessage BuildMessage(CallSession session, string to, string? text, bool useTemplate, List<KeyValuePair<string, object?>> values, IReadOnlyList<Uri> media)
    {
        WhatsAppContent? content = null;
        if (useTemplate)
        {
            var variables = new Dictionary<string, string>(_action.ContentVariables.Count, StringComparer.Ordinal);
            foreach (var (key, template) in _action.ContentVariables)
            {
                variables[key] = template.Render(values);
            }

            content = new WhatsAppContent(_action.Definition.Template!.ContentSid, variables);
        }

        return new OutboundMessage
        {
            SenderName = _action.SenderName,
            Sender = _action.Sender,
            Channel = Channel,
            To = to,
            Body = useTemplate ? null : text,
            Content = content,
            MediaUrls = useTemplate ? [] : media,
            CallId = session.CallId,
            ActionName = _action.Name,
            ClientReference = ClientReferences.Next(),
        };
    }

    private async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        try
        {
            return await _action.Provider.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogError(ex, "Provider {Provider} threw while sending for action {Action}.", _action.Provider.Name, _action.Name);
            return SendResult.Failed(SendFailureReason.ProviderUnavailable, "The messaging service failed unexpectedly; the message was probably not sent. Offer to read the information aloud.");
        }
    }

    private async Task<ActionResult> WaitAsync(CallSession session, PendingReply wait, string to, string messageId, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_action.Definition.ReplyTimeout, _time);
        await using var onTimeout = timeout.Token.Register(static state => ((PendingReply)state!).TryComplete(new ReplyWaitOutcome(ReplyWaitKind.TimedOut)), wait).ConfigureAwait(false);
        await using var onCancel = cancellationToken.Register(static state => ((PendingReply)state!).TryComplete(new ReplyWaitOutcome(ReplyWaitKind.Cancelled)), wait).ConfigureAwait(false);
        wait.IsArmed = true;
        var outcome = await wait.Task.ConfigureAwait(false);
        var kind = Snake(outcome.Kind);
        InCallMessagingTelemetry.WaitOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", kind));
        InCallMessagingTelemetry.WaitDuration.Record(_time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", kind));
        Log.WaitEnded(_logger, _action.Name, session.CallId, kind);

        var masked = Mask(to);
        switch (outcome.Kind)
        {
            case ReplyWaitKind.Replied when outcome.Reply is { Media.Count: > 0 } withMedia:
                return new ActionResult(ActionResult.Replied, Channel, masked, messageId, outcome.Text, Media: withMedia.Media,
                    Detail: $"The caller texted back with {withMedia.Media.Count} attachment(s) (listed in media){(outcome.Text is { Length: > 0 } ? "" : " and no text")}; the reply is also stored as {_action.ReplyVariable}, the attachments as {CallVariables.MediaVariable(_action.ReplyVariable)}.");
            case ReplyWaitKind.Replied:
                return new ActionResult(ActionResult.Replied, Channel, masked, messageId, outcome.Text,
                    Detail: $"The caller texted back; the reply is also stored as {_action.ReplyVariable}.");
            case ReplyWaitKind.OptedOut:
                return new ActionResult(ActionResult.Blocked, Channel, masked, messageId, Reason: "opted_out",
                    Detail: "The caller texted STOP instead of replying: they opted out of texts from this number. Do not text them again; continue by voice.");
            case ReplyWaitKind.AnsweredByVoice:
                return new ActionResult(ActionResult.AnsweredByVoice, Channel, masked, messageId, outcome.Text,
                    Detail: "The caller answered by speaking instead of texting; use their spoken words.");
            case ReplyWaitKind.DeliveryFailed:
                return new ActionResult(ActionResult.Failed, Channel, masked, messageId, Reason: "undelivered",
                    Detail: $"The message could not be delivered (error {outcome.ErrorCode ?? "unknown"}). Tell the caller and offer to read the information aloud or use another number.");
            case ReplyWaitKind.CallEnded:
                return new ActionResult(ActionResult.NoReply, Channel, masked, messageId, Reason: "call_ended", Detail: "The call ended before a reply came.");
            case ReplyWaitKind.Cancelled:
                cancellationToken.ThrowIfCancellationRequested();
                return new ActionResult(ActionResult.NoReply, Channel, masked, messageId, Reason: "cancelled", Detail: "The wait was cancelled.");
            default:
                await SpeakAsync(session, _action.FallbackMessage, CancellationToken.None).ConfigureAwait(false);
                return new ActionResult(ActionResult.NoReply, Channel, masked, messageId, Reason: "timeout",
                    Detail: $"No reply within {_action.Definition.ReplyTimeout.TotalSeconds:0} seconds. The caller was told: \"{_action.FallbackMessage}\" Continue the conversation; a later reply will still appear.");
        }
    }

    private async ValueTask SpeakAsync(CallSession session, string text, CancellationToken cancellationToken)
    {
        if (session.Speech is not { } speech)
        {
            _logger.LogDebug("Call {CallId} has no speech channel; not speaking.", session.CallId);
            return;
        }

        try
        {
            await speech.SpeakAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Speaking into call {CallId} failed.", session.CallId);
        }
    }

    /// <summary>
    /// Sends through the provider and, when the action has a <see cref="InCallMessageAction.MessageOnDelay"/>, speaks it
    /// once if the provider has not answered within <see cref="InCallMessageAction.DelayThreshold"/>. The send goes on
    /// while the line is spoken.
    /// </summary>
    private async ValueTask<SendResult> SendAsync(CallSession session, OutboundMessage message, SpokenContext spoken, CancellationToken cancellationToken)
    {
        if (_action.OnDelay is null || spoken.DelaySpoken)
        {
            return await SendAsync(message, cancellationToken).ConfigureAwait(false);
        }

        // The timer starts before the provider is called: the threshold counts from the moment the send begins.
        using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(_action.Definition.DelayThreshold, _time, stopDelay.Token);
        var send = SendAsync(message, cancellationToken).AsTask();
        if (!send.IsCompleted && await Task.WhenAny(send, delay).ConfigureAwait(false) == delay && delay.IsCompletedSuccessfully)
        {
            spoken.DelaySpoken = true;
            await SpeakLineAsync(session, _action.OnDelay, nameof(InCallMessageAction.MessageOnDelay), spoken.Values ?? [], cancellationToken).ConfigureAwait(false);
        }

        await stopDelay.CancelAsync().ConfigureAwait(false);
        return await send.ConfigureAwait(false);
    }

    /// <summary>Renders a spoken line with the values the body renders with, and speaks it. A line whose value is missing is skipped.</summary>
    private async ValueTask SpeakLineAsync(CallSession session, MessageTemplate? line, string field, List<KeyValuePair<string, object?>> values, CancellationToken cancellationToken)
    {
        if (line is null)
        {
            return;
        }

        foreach (var variable in line.Variables)
        {
            if (!values.Exists(v => v.Key == variable))
            {
                _logger.LogDebug("Action {Action}: {Field} not spoken in call {CallId}: '{Variable}' has no value.", _action.Name, field, session.CallId, variable);
                return;
            }
        }

        string text;
        try
        {
            text = line.Render(values);
        }
        catch (Scriban.Syntax.ScriptRuntimeException ex)
        {
            _logger.LogDebug(ex, "Action {Action}: {Field} not spoken in call {CallId}: it could not be rendered.", _action.Name, field, session.CallId);
            return;
        }

        if (!string.IsNullOrWhiteSpace(text))
        {
            await SpeakAsync(session, text, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A send that failed, or was blocked before it went out (a caller who texts STOP while a reply is awaited was texted).</summary>
    private static bool IsSendFailure(ActionResult result) =>
        result.Status == ActionResult.Failed || (result.Status == ActionResult.Blocked && result.MessageId is null);

    /// <summary>
    /// Renders the media URL templates. Each must be an absolute <c>https://</c> URL: anything else is reported as an
    /// invalid argument, never dropped. One that renders empty (an optional value left out) attaches nothing.
    /// </summary>
    private IReadOnlyList<Uri>? RenderMediaUrls(List<KeyValuePair<string, object?>> values, out List<ArgumentProblem>? problems)
    {
        problems = null;
        if (_action.MediaUrls.Count == 0)
        {
            return [];
        }

        var media = new List<Uri>(_action.MediaUrls.Count);
        for (var i = 0; i < _action.MediaUrls.Count; i++)
        {
            var template = _action.MediaUrls[i];
            var rendered = template.Render(values).Trim();
            if (rendered.Length == 0)
            {
                _logger.LogDebug("Action {Action}: MediaUrls[{Index}] rendered empty; nothing is attached for it.", _action.Name, i);
            }
            else if (MediaUrl.TryParse(rendered, out var uri))
            {
                media.Add(uri);
            }
            else
            {
                var from = string.Join(", ", template.Variables.Where(_action.ParameterNames.Contains));
                (problems ??= []).Add(new ArgumentProblem($"MediaUrls[{i}]",
                    $"must render to an absolute https:// URL (it rendered to '{MediaUrl.Shorten(rendered)}'){(from.Length > 0 ? $"; it is built from {from}" : "")}"));
            }
        }

        return problems is null ? media : null;
    }

    private ActionResult InvalidArguments(CallSession session, List<ArgumentProblem> problems, List<string>? missing)
    {
        foreach (var name in missing ?? [])
        {
            problems.Add(new(name, "is required"));
        }

        InCallMessagingTelemetry.MessagesBlocked.Add(1, new KeyValuePair<string, object?>("reason", "invalid_arguments"));
        Log.InvalidArguments(_logger, _action.Name, session.CallId, string.Join(", ", problems.Select(p => p.Field)));
        return new ActionResult(ActionResult.InvalidArguments, Channel, Errors: problems,
            Detail: "Nothing was sent. Fix the listed arguments (ask the caller where a value came from them), then call this function again.");
    }

    private ActionResult Block(string reason, string detail)
    {
        InCallMessagingTelemetry.MessagesBlocked.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Log.ActionBlocked(_logger, _action.Name, reason);
        return new ActionResult(ActionResult.Blocked, Channel, Reason: reason, Detail: detail);
    }

    private static string DuplicateKey(OutboundMessage message) =>
        message.Content is { } content
            ? $"{message.Channel}|{message.To}|{content.ContentSid}|{string.Join('|', content.Variables.Values)}"
            : $"{message.Channel}|{message.To}|{message.Body}";

    private string Mask(string phone) => _options.MaskPersonalData ? Redact.Phone(phone) : phone;

    private static string Snake<T>(T value) where T : struct, Enum => SnakeCase<T>.Of(value);

    private static string Snake(SendFailureReason? value) => value is { } reason ? Snake(reason) : "unknown";

    /// <summary>What one invocation's spoken lines need: the values the body renders with, once all are known.</summary>
    private sealed class SpokenContext
    {
        public List<KeyValuePair<string, object?>>? Values { get; set; }

        public bool DelaySpoken { get; set; }
    }
}

/// <summary>snake_case names of an enum's values, computed once ("WhatsAppWindowClosed" becomes "whatsapp_window_closed").</summary>
internal static class SnakeCase<T>
    where T : struct, Enum
{
    private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v => Convert(v.ToString()));

    public static string Of(T value) => Names.TryGetValue(value, out var name) ? name : Convert(value.ToString());

    private static string Convert(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        var source = name.Replace("WhatsApp", "Whatsapp", StringComparison.Ordinal);
        for (var i = 0; i < source.Length; i++)
        {
            if (char.IsUpper(source[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(source[i]));
        }

        return builder.ToString();
    }
}

/// <summary>
/// Unique references for outbound messages: a random 64-bit prefix drawn once per process and a counter, as 32 hex
/// digits. <see cref="Guid.NewGuid"/> asks the operating system for random bytes on every call (about 1 us here).
/// </summary>
internal static class ClientReferences
{
    private static readonly ulong Prefix = BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(sizeof(ulong)));
    private static long s_counter;

    public static string Next() =>
        string.Create(32, (ulong)Interlocked.Increment(ref s_counter), static (span, counter) =>
        {
            Prefix.TryFormat(span[..16], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
            counter.TryFormat(span[16..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        });
}
