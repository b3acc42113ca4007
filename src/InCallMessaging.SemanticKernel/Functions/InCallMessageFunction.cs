using System.Diagnostics;
using InCallMessaging.SemanticKernel.Actions;
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
    private readonly CallerConsent _consent;
    private readonly MessageLogWriter _log;
    private readonly IReplyRouter _router;
    private readonly InCallMessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecipientPolicy _recipientPolicy;
    private readonly OutboundMessageBuilder _messages;
    private readonly ActionSpeech _speech;
    private readonly ReplyWaiter _waiter;
    private readonly AfterCallSends _afterCall;

    public InCallMessageFunction(CompiledAction action, ICallSessionRegistry calls, CallerConsent consent, MessageLogWriter log, IReplyRouter router,
        InCallMessagingOptions options, TimeProvider time, ILogger logger, AfterCallSends afterCall)
    {
        _afterCall = afterCall;
        _log = log;
        _router = router;
        _recipientPolicy = new RecipientPolicy(options.RecipientPolicy ?? new RecipientPolicyOptions());
        _messages = new OutboundMessageBuilder(action, time, logger);
        _speech = new ActionSpeech(action, time, logger);
        _waiter = new ReplyWaiter(action, _speech, time, logger);
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
                Parameters = _action.KernelParameters(),
                ReturnParameter = new KernelReturnParameterMetadata
                {
                    Description = "JSON: status (sent, scheduled (sent when the call ends), replied, answered_by_voice, no_reply, failed, blocked, missing_values, invalid_arguments), the masked recipient, the message id, the reply text or a reason.",
                    ParameterType = typeof(string),
                },
            });

    internal async Task<string> InvokeAsync(Kernel kernel, KernelArguments arguments, CancellationToken cancellationToken)
    {
        using var activity = InCallMessagingTelemetry.ActivitySource.StartActivity("incall_messaging.action");
        activity?.SetTag("incall_messaging.action", _action.Name);
        var session = kernel.GetCallSession();
        // Only an action with a failure or delay line needs to keep its values for speaking after the send.
        var spoken = _action.OnFailure is null && _action.OnDelay is null ? null : new SpokenLines();
        var afterCallRun = kernel.Data.ContainsKey(AfterCallRun.DataKey);
        var result = await RunAsync(session, arguments, activity, spoken, afterCallRun, cancellationToken).ConfigureAwait(false);
        if (spoken?.Values is { } values && session is { IsActive: true } && IsSendFailure(result))
        {
            await _speech.SpeakLineAsync(session, _action.OnFailure, nameof(InCallMessageAction.MessageOnFailure), values, cancellationToken).ConfigureAwait(false);
        }

        activity?.SetTag("incall_messaging.status", result.Status);
        return result.ToJson();
    }

    private async Task<ActionResult> RunAsync(CallSession? session, KernelArguments arguments, Activity? activity, SpokenLines? spoken, bool afterCallRun,
        CancellationToken cancellationToken)
    {
        if (session is null)
        {
            Log.NoCallSession(_logger, _action.Name);
            return Block("no_call", "No live call is bound to this conversation, so nothing was sent.");
        }

        activity?.SetTag("incall_messaging.call_id", session.CallId);
        var afterCall = _action.Definition.When == ActionTiming.AfterCall;
        if (!session.IsActive && !(afterCall && afterCallRun))
        {
            return Block("call_ended", "The call has ended, so nothing was sent.");
        }

        if (session.Actions is { } offered && !offered.Contains(_action.Name))
        {
            return Block("not_available", "This action is not available on this call, so nothing was sent. Continue by voice.");
        }

        // Every argument is bound and checked before anything is said or sent.
        var (values, modelText, problems, missing) = ActionArguments.Bind(_action, session, arguments);
        if (problems is not null)
        {
            return InvalidArguments(session, problems);
        }

        if (missing is not null)
        {
            InCallMessagingTelemetry.MessagesBlocked.Add(1, new KeyValuePair<string, object?>("reason", "missing_values"));
            Log.MissingValues(_logger, _action.Name, session.CallId, string.Join(", ", missing));
            return new ActionResult(ActionResult.MissingValues, Channel, Missing: missing,
                Detail: $"Nothing was sent. Ask the caller for: {string.Join(", ", missing)}, then call this function again with them.");
        }

        if (spoken is not null)
        {
            spoken.Values = values;
        }
        if (_messages.RenderMediaUrls(values, out var mediaProblems) is not { } media)
        {
            return InvalidArguments(session, mediaProblems!);
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

        var callerKey = ReferenceEquals(to, session.CallerNumber) ? session.CallerKey : CallerKeys.OfNormalized(to);
        ConsentRecord consent;
        try
        {
            consent = await _consent.GetAsync(callerKey, _action.SenderIdentity, cancellationToken).ConfigureAwait(false);
        }
        catch (StateStoreException ex)
        {
            // Without the opt-out list, a text could reach someone who said STOP: nothing is sent.
            _logger.LogError("Action {Action}: the consent store could not be read, so nothing was sent: {Problem}", _action.Name, ex.Message);
            return Block("state_unavailable", "The opt-out list could not be checked just now, so nothing was sent. Read the information aloud instead.");
        }

        var useTemplate = _messages.ChooseTemplate(consent, text);
        if (useTemplate is null)
        {
            return Block("whatsapp_window_closed",
                "WhatsApp allows free-form messages only within 24 hours of the caller's last WhatsApp message, and this action has no approved template. Offer to send an SMS instead or read the information aloud.");
        }

        if (consent.OptedOut)
        {
            return Block("opted_out", "The caller has opted out of texts from this number (they replied STOP). Do not retry. Tell them in plain words that texting START to this number turns texts back on, and offer to give non-secret information by voice instead.");
        }

        var message = _messages.Build(session, to, useTemplate.Value ? null : text, useTemplate.Value, values, media);
        var duplicateKey = OutboundMessageBuilder.DuplicateKey(message);
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

        // After the call (an after-call run) nobody is listening: no line is spoken.
        if (_action.BeforeAction is not null && session.IsActive)
        {
            await _speech.SpeakLineAsync(session, _action.BeforeAction, nameof(InCallMessageAction.MessageBeforeAction), values, cancellationToken).ConfigureAwait(false);
        }

        if (afterCall && session.IsActive)
        {
            if (!await _afterCall.ScheduleAsync(session, _action, callerKey, message, cancellationToken).ConfigureAwait(false))
            {
                session.ReleaseSend(duplicateKey, reservedAt);
                return Block("state_unavailable", "The text could not be scheduled just now, so nothing will be sent. Offer to read the information aloud instead.");
            }

            return new ActionResult(ActionResult.Scheduled, Channel, Mask(to), message.ClientReference,
                Detail: "The text is scheduled: it is sent when the call ends. You may tell the caller they will get it after the call.");
        }

        var wait = _action.Definition.WaitForReply ? session.BeginWait(Channel, _action.SenderName, _time.GetUtcNow(), _action.ReplyPattern) : null;
        try
        {
            var sent = await SendAsync(session, message, session.IsActive ? spoken : null, cancellationToken).ConfigureAwait(false);
            if (!sent.Succeeded && sent.Failure == SendFailureReason.WhatsAppWindowClosed && !useTemplate.Value && _action.Definition.Template is not null)
            {
                _logger.LogInformation("Action {Action}: WhatsApp window closed at the provider; sending the approved template instead.", _action.Name);
                message = _messages.Build(session, to, null, useTemplate: true, values, media);
                sent = await SendAsync(session, message, session.IsActive ? spoken : null, cancellationToken).ConfigureAwait(false);
            }

            if (!sent.Succeeded && sent.MayHaveBeenSent)
            {
                // Never repeated automatically: the reservation stays, and the message is recorded as of unknown outcome
                // so a status callback that names its reference can still settle it.
                session.MarkOutcomeUnknown(duplicateKey, reservedAt);
                Record(session, callerKey, message, message.ClientReference, CallMessage.UnknownStatus, new SendReservationKey(duplicateKey, reservedAt));
            }
            else if (!sent.Succeeded)
            {
                session.ReleaseSend(duplicateKey, reservedAt);
            }

            if (!sent.Succeeded)
            {
                if (sent.Failure == SendFailureReason.OptedOut)
                {
                    await RecordOptOutAsync(callerKey).ConfigureAwait(false);
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

            var record = Record(session, callerKey, message, sent.MessageId!, sent.Status, new SendReservationKey(duplicateKey, reservedAt));
            if (message.Content is null && Channel == MessageChannel.WhatsApp && _action.Definition.Template is not null)
            {
                // If WhatsApp's window turns out closed only in a status callback, the approved template goes instead, once.
                record.TemplateFallback = TemplateFallback(session, to, callerKey, values);
            }

            if (wait is null)
            {
                return new ActionResult(ActionResult.Sent, Channel, Mask(to), sent.MessageId,
                    Detail: "The message was sent. If the caller texts back, the reply will appear in the conversation.");
            }

            return await _waiter.WaitAsync(session, wait, Mask(to), sent.MessageId!, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (wait is { Detached: false })
            {
                // A wait that goes on in the background is ended by its own finish (ReplyWaiter).
                session.EndWait(wait, _logger);
            }
        }
    }

    /// <summary>Records a message that went out (or may have) on the call and indexes it, so replies and statuses find it.</summary>
    private CallMessage Record(CallSession session, string callerKey, OutboundMessage message, string messageId, string? status, SendReservationKey reservation)
    {
        var record = new CallMessage(MessageDirection.Outbound, Channel, messageId, _action.SenderName, message.To,
            message.Body ?? $"[template {message.Content?.TemplateId}]", _time.GetUtcNow(), _action.Name, status)
        {
            ClientReference = message.ClientReference,
            Reservation = reservation,
        };
        session.RecordOutbound(record, _action.ReplyVariable);
        _calls.IndexOutbound(session, record);
        _router.MessageSent(session, record, new CallerConversation(Channel, callerKey, _action.SenderIdentity));
        if (status != CallMessage.UnknownStatus)
        {
            InCallMessagingTelemetry.MessagesSent.Add(1, new KeyValuePair<string, object?>("channel", ChannelNames.Of(Channel)));
            Log.MessageSent(_logger, _options.MaskPersonalData, _action.Name, session.CallId, messageId, message.Body, message.To);
        }

        _log.RecordSent(_log.Outbound(session.CallId, _action.Name, _action.SenderIdentity, callerKey, message, messageId, status ?? "sent", record.Timestamp));
        return record;
    }

    /// <summary>Whether the caller opted out, or the opt-out list cannot be read (then nothing may be sent either).</summary>
    private async ValueTask<bool> MayNotTextAsync(string callerKey, CancellationToken cancellationToken)
    {
        try
        {
            return (await _consent.GetAsync(callerKey, _action.SenderIdentity, cancellationToken).ConfigureAwait(false)).OptedOut;
        }
        catch (StateStoreException ex)
        {
            _logger.LogError("Action {Action}: the consent store could not be read, so the template was not sent: {Problem}", _action.Name, ex.Message);
            return true;
        }
    }

    /// <summary>The provider says the caller opted out: remembered, so the next action does not try again.</summary>
    private async ValueTask RecordOptOutAsync(string callerKey)
    {
        try
        {
            await _consent.RecordOptOutAsync(callerKey, _action.SenderIdentity, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (StateStoreException ex)
        {
            _logger.LogError("Action {Action}: the provider reported an opt-out that the consent store could not record: {Problem}", _action.Name, ex.Message);
        }
    }

    /// <summary>
    /// Sends the action's approved WhatsApp template in place of a free-form message the provider refused after the
    /// fact (the 24-hour window had closed), under the same guards as any send. Returns its message id, or
    /// <see langword="null"/> when it was not sent.
    /// </summary>
    private async Task<string?> SendTemplateInsteadAsync(CallSession session, string to, string callerKey, List<KeyValuePair<string, object?>> values,
        CancellationToken cancellationToken)
    {
        if (!session.IsActive || await MayNotTextAsync(callerKey, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var message = _messages.Build(session, to, null, useTemplate: true, values, media: []);
        var duplicateKey = OutboundMessageBuilder.DuplicateKey(message);
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

        return Record(session, callerKey, message, sent.MessageId!, sent.Status, new SendReservationKey(duplicateKey, reservedAt)).MessageId;
    }

    /// <summary>Sends, speaking the action's delay line if the provider is slow. (A helper, so the closure exists only when needed.)</summary>
    private ValueTask<SendResult> SendAsync(CallSession session, OutboundMessage message, SpokenLines? spoken, CancellationToken cancellationToken) =>
        _action.OnDelay is null || spoken is null
            ? SendAsync(message, cancellationToken)
            : _speech.WithDelayLineAsync(session, () => SendAsync(message, cancellationToken), spoken, cancellationToken);

    private Func<CancellationToken, Task<string?>> TemplateFallback(CallSession session, string to, string callerKey, List<KeyValuePair<string, object?>> values) =>
        cancellationToken => SendTemplateInsteadAsync(session, to, callerKey, values, cancellationToken);

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

    /// <summary>A send that failed, or was blocked before it went out (a caller who texts STOP while a reply is awaited was texted).</summary>
    private static bool IsSendFailure(ActionResult result) =>
        result.Status == ActionResult.Failed || (result.Status == ActionResult.Blocked && result.MessageId is null);

    private ActionResult InvalidArguments(CallSession session, List<ArgumentProblem> problems)
    {
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

    private string Mask(string phone) => Redact.Phone(phone, _options.MaskPersonalData);

    private static string Snake<T>(T value) where T : struct, Enum => SnakeCase<T>.Of(value);

    private static string Snake(SendFailureReason? value) => value is { } reason ? Snake(reason) : "unknown";
}
