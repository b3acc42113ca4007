using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Matches inbound messages to their call (the replied-to message when the provider names it, else the call that most
/// recently texted this caller from this sender) and delivers them: a waiting action resumes, the reply variable is
/// set and one <c>[SMS Reply]: ...</c> line is queued for the chat history.
/// </summary>
internal sealed class ReplyHub : IReplyHub, IHandedOffReplyDelivery
{
    private const int UnmatchedCapacity = 256;

    private readonly ICallSessionRegistry _calls;
    private readonly RunningActions _actions;
    private readonly CallerConsent _consent;
    private readonly MessageLogWriter _log;
    private readonly IInboundMessageRecorder? _recorder;
    private readonly IReplyRouter _router;
    private readonly IDeduplicationStore _deduplication;
    private readonly IReadOnlyList<IAfterCallReplyHandler> _afterCallHandlers;
    private readonly IReadOnlyList<IMessageStatusHandler> _statusHandlers;
    private readonly InCallMessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Queue<InboundMessage> _unmatched = new();

    /// <summary>The running configuration's actions and senders (after a reload, the reloaded ones).</summary>
    private ActionCatalog Catalog => _actions.Current.Catalog;

    public ReplyHub(ICallSessionRegistry calls, RunningActions actions, CallerConsent consent, MessageLogWriter log, IDeduplicationStore deduplication,
        IEnumerable<IAfterCallReplyHandler> afterCallHandlers, InCallMessagingOptions options, TimeProvider time, ILogger logger,
        IEnumerable<IMessageStatusHandler>? statusHandlers = null, IReplyRouter? router = null)
    {
        _router = router ?? LocalReplyRouter.Instance;
        _statusHandlers = [.. statusHandlers ?? []];
        _calls = calls;
        _actions = actions;
        _consent = consent;
        _log = log;
        _recorder = ReferenceEquals(log.Log, deduplication) ? deduplication as IInboundMessageRecorder : null;
        _deduplication = deduplication;
        _afterCallHandlers = [.. afterCallHandlers];
        _options = options;
        _time = time;
        _logger = logger;
    }

    public IReadOnlyList<InboundMessage> UnmatchedReplies
    {
        get
        {
            lock (_unmatched)
            {
                return [.. _unmatched];
            }
        }
    }

    public async ValueTask<ReplyDeliveryOutcome> DeliverAsync(InboundMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var inbound = Prepare(ref message);

        // Its effect on consent is recorded first (a STOP; nothing to write for most texts), before it counts as received.
        var change = await _consent.ObserveAsync(inbound.CallerKey, inbound.Identity, message.Channel, inbound.Text, message.OptOutType, inbound.Now,
            cancellationToken).ConfigureAwait(false);
        var session = FindLiveOrRecent(message, inbound);
        if (session is null && _router is not LocalReplyRouter)
        {
            // Not a call of this instance: the instance that holds it (if any) gets it, deduplicated in the same step.
            switch (await _router.RouteInboundAsync(message, inbound.Conversation(message.Channel), cancellationToken).ConfigureAwait(false))
            {
                case RouteResult.HandedOff:
                    _logger.LogDebug("Inbound {MessageId} handed to the instance that holds its call.", message.MessageId);
                    return ReplyDeliveryOutcome.HandedOff;
                case RouteResult.Duplicate:
                    Log.DuplicateInbound(_logger, message.MessageId);
                    return ReplyDeliveryOutcome.Duplicate;
            }
        }

        var answered = session is null ? await FindAnsweredInLogAsync(message, inbound.CallerKey, inbound.Identity, inbound.Now, cancellationToken).ConfigureAwait(false) : null;

        // The message is recorded with its mark as seen. When one store logs and deduplicates, one atomic write does both;
        // otherwise the log write and the mark go out together (one group commit), and a mark without a log entry (the
        // log failed and the webhook answered 503) is not a duplicate: the provider's retry goes through.
        var (caller, callerKey, configuredSender, sender, identity, text, now) = inbound;
        var record = _log.Inbound(message, callerKey, caller, sender, identity, text, session?.CallId ?? answered?.CallId,
            message.InReplyToMessageId ?? answered?.MessageId, now);
        var key = "in:" + message.MessageId;
        bool first;
        if (_recorder is not null)
        {
            first = await _recorder.RecordInboundAsync(record, key, _options.DeduplicationRetention, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            first = await LogAndMarkAsync(_log.Log.TryAddAsync(record, cancellationToken),
                _deduplication.TryMarkAsync(key, _options.DeduplicationRetention, cancellationToken)).ConfigureAwait(false)
                || await _log.Log.FindAsync(message.MessageId, cancellationToken).ConfigureAwait(false) is not { Direction: MessageDirection.Inbound };
        }

        if (!first)
        {
            Log.DuplicateInbound(_logger, message.MessageId);
            return ReplyDeliveryOutcome.Duplicate;
        }

        return await DeliverRecordedAsync(message, session, answered, caller, configuredSender, sender, text, change, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Delivers a recorded, first-time inbound message: to its live call, to the after-call handlers, or as unmatched.</summary>
    private async ValueTask<ReplyDeliveryOutcome> DeliverRecordedAsync(InboundMessage message, CallSession? session, LoggedMessage? answered,
        string caller, string? configuredSender, string sender, string text, ConsentChange change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (change != ConsentChange.None)
        {
            _logger.LogInformation("Caller {Caller} {Change} sender '{Sender}'.", Mask(caller), change == ConsentChange.OptedOut ? "opted out of" : "opted back in to", configuredSender ?? Mask(sender));
        }

        if (session is null && answered is not null)
        {
            session = await RestoreEndedCallAsync(answered, caller, cancellationToken).ConfigureAwait(false);
            message = message.InReplyToMessageId is null ? message with { InReplyToMessageId = answered.MessageId } : message;
        }

        if (session is null)
        {
            lock (_unmatched)
            {
                if (_unmatched.Count == UnmatchedCapacity)
                {
                    _unmatched.Dequeue();
                }

                _unmatched.Enqueue(message);
            }

            InCallMessagingTelemetry.RepliesUnmatched.Add(1);
            // A To that is no configured sender is a phone number like any other: masked.
            _logger.LogWarning("Inbound {MessageId} from {Caller} to sender '{Sender}' matches no call; recorded as unmatched.", message.MessageId, Mask(caller), configuredSender ?? Mask(sender));
            return ReplyDeliveryOutcome.Unmatched;
        }

        var (dropped, resumedWait) = session.AcceptReply(message, caller, sender, text, now, optedOut: change == ConsentChange.OptedOut);
        InCallMessagingTelemetry.RepliesMatched.Add(1);
        if (dropped > 0)
        {
            InCallMessagingTelemetry.ReplyLinesDropped.Add(dropped);
            if (session.ShouldReportDroppedLines())
            {
                Log.ReplyLinesDropped(_logger, session.CallId, _options.MaxPendingReplyLines);
            }
        }

        if (session.IsActive)
        {
            Log.ReplyDelivered(_logger, _options.MaskPersonalData, message.MessageId, text, caller, session.CallId, message.Media);
            if (session.HasMessageArrivedHandlers)
            {
                var received = new CallMessage(MessageDirection.Inbound, message.Channel, message.MessageId, sender, caller, text, now,
                    actionName: null, status: "received", message.Media);
                var line = new PendingReplyLine(message.Channel, text, message.Media).ToString(_options.MediaUrlsInTranscript);
                session.RaiseMessageArrived(new CallMessageEventArgs(received, isStatus: false, resumedWait, line), _logger);
            }

            return ReplyDeliveryOutcome.DeliveredToCall;
        }

        _logger.LogInformation("Reply {MessageId} from {Caller} arrived after call {CallId} ended; handing it to {Count} after-call handler(s).", message.MessageId, Mask(caller), session.CallId, _afterCallHandlers.Count);
        foreach (var handler in _afterCallHandlers)
        {
            try
            {
                await handler.HandleAfterCallReplyAsync(session, message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "After-call handler {Handler} failed for reply {MessageId}.", handler.GetType().Name, message.MessageId);
            }
        }

        return ReplyDeliveryOutcome.DeliveredAfterCall;
    }

    /// <summary>
    /// Awaits an inbound message's log write and its mark, both even when one fails (so none is left running), then
    /// throws the first failure; returns whether the mark was new. Synchronous stores (in memory) complete without a task.
    /// </summary>
    private static async ValueTask<bool> LogAndMarkAsync(ValueTask<bool> logged, ValueTask<bool> marked)
    {
        if (logged.IsCompletedSuccessfully && marked.IsCompletedSuccessfully)
        {
            _ = logged.Result;
            return marked.Result;
        }

        var (log, mark) = (logged.AsTask(), marked.AsTask());
        try
        {
            await Task.WhenAll(log, mark).ConfigureAwait(false);
        }
        catch (Exception) when (FirstFailure(log, mark) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return mark.Result;
    }

    private static Exception? FirstFailure(params Task[] tasks) =>
        tasks.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException;

    /// <summary>
    /// Delivers what another instance's router handed off: into the live call here, or (that call gone) to the after-call
    /// path. The router deduplicated it; the message log's unique key makes this idempotent on the message id.
    /// </summary>
    public async ValueTask<ReplyDeliveryOutcome> DeliverHandedOffAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var inbound = Prepare(ref message);
        var session = FindLiveOrRecent(message, inbound);
        var answered = session is null ? await FindAnsweredInLogAsync(message, inbound.CallerKey, inbound.Identity, inbound.Now, cancellationToken).ConfigureAwait(false) : null;
        var record = _log.Inbound(message, inbound.CallerKey, inbound.Caller, inbound.Sender, inbound.Identity, inbound.Text,
            session?.CallId ?? answered?.CallId, message.InReplyToMessageId ?? answered?.MessageId, inbound.Now);
        if (!await _log.Log.TryAddAsync(record, cancellationToken).ConfigureAwait(false))
        {
            Log.DuplicateInbound(_logger, message.MessageId);
            return ReplyDeliveryOutcome.Duplicate;
        }

        // Consent was recorded by the instance that received it; a STOP still ends a wait here.
        var change = CallerConsent.Keyword(inbound.Text, message.OptOutType) == ConsentChange.OptedOut ? ConsentChange.OptedOut : ConsentChange.None;
        return await DeliverRecordedAsync(message, session, answered, inbound.Caller, inbound.ConfiguredSender, inbound.Sender, inbound.Text, change,
            inbound.Now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An inbound message's parts, normalized once.</summary>
    private readonly record struct Inbound(string Caller, string CallerKey, string? ConfiguredSender, string Sender, string Identity, string Text,
        DateTimeOffset Now)
    {
        public CallerConversation Conversation(MessageChannel channel) => new(channel, CallerKey, Identity);
    }

    private Inbound Prepare(ref InboundMessage message)
    {
        var now = _time.GetUtcNow();
        if (message.ReceivedAt == default)
        {
            message = message with { ReceivedAt = now };
        }

        if (message.Media.Count > 0)
        {
            message = WithSafeMedia(message);
        }

        var caller = PhoneNumbers.NormalizeOrKeep(message.From);
        var configuredSender = message.SenderName ?? Catalog.ResolveSender(message.To, message.ServiceId);
        var sender = configuredSender ?? PhoneNumbers.NormalizeOrKeep(message.To);
        return new Inbound(caller, CallerKeys.OfNormalized(caller), configuredSender, sender, Catalog.SenderIdentity(configuredSender, sender),
            ReplyText.Sanitize(message.Text, _options.MaxReplyLength), now);
    }

    /// <summary>The call a reply answers on this instance: the replied-to message's, else the one that last texted this caller from this sender.</summary>
    private CallSession? FindLiveOrRecent(InboundMessage message, Inbound inbound) =>
        (message.InReplyToMessageId is { } repliedTo ? _calls.FindByMessageId(repliedTo) : null)
        ?? _calls.FindByConversation(message.Channel, inbound.Caller, inbound.Sender);

    /// <summary>
    /// The logged message a reply answers when its call is not in memory (it ended before a restart, or was evicted):
    /// the replied-to message, else the last message any call sent this caller from this sender within
    /// <see cref="InCallMessagingOptions.EndedCallRetention"/>.
    /// </summary>
    private async ValueTask<LoggedMessage?> FindAnsweredInLogAsync(InboundMessage message, string callerKey, string identity, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var since = now - _options.EndedCallRetention;
        if (message.InReplyToMessageId is { } repliedTo
            && await _log.Log.FindAsync(repliedTo, cancellationToken).ConfigureAwait(false) is { Direction: MessageDirection.Outbound, CallId: not null } named
            && named.CreatedAt >= since)
        {
            return named;
        }

        return await _log.Log.FindLatestOutboundAsync(message.Channel, callerKey, identity, since, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An ended call rebuilt from the message log, so after-call handlers see its id, its actions and its messages.</summary>
    private async ValueTask<CallSession> RestoreEndedCallAsync(LoggedMessage answered, string caller, CancellationToken cancellationToken)
    {
        var logged = await _log.Log.GetCallAsync(answered.CallId!, cancellationToken).ConfigureAwait(false);
        var startedAt = logged.Count > 0 ? logged[0].CreatedAt : answered.CreatedAt;
        var session = new CallSession(answered.CallId!, caller, agentNumber: null, new Dictionary<string, string>(), startedAt);
        foreach (var sent in logged.Where(m => m.Direction == MessageDirection.Outbound))
        {
            var text = sent.Text ?? (sent.TemplateId is { } template ? $"[template {template}]" : "");
            session.RecordOutbound(new CallMessage(MessageDirection.Outbound, sent.Channel, sent.MessageId, sent.SenderName, caller, text,
                sent.CreatedAt, sent.ActionName, sent.Status), Catalog.Find(sent.ActionName)?.ReplyVariable ?? CallVariables.DefaultReplyVariable(sent.Channel));
        }

        session.End(logged.Count > 0 ? logged[^1].CreatedAt : answered.CreatedAt);
        _logger.LogInformation("Call {CallId} is no longer in memory; restored from the message log for a late reply.", answered.CallId);
        return session;
    }

    public ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default) =>
        ApplyStatusAsync(update, route: true, cancellationToken);

    /// <summary>Applies a status another instance's router handed off: to the message of a call here, or to the log.</summary>
    public ValueTask<StatusUpdateOutcome> ApplyHandedOffStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken) =>
        ApplyStatusAsync(update, route: false, cancellationToken);

    private async ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, bool route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var status = update.Status.ToLowerInvariant();
        var state = update.MappedState ?? DeliveryStatus.FromWord(status);
        var session = _calls.FindByMessageId(update.MessageId)
            ?? (update.ClientReference is { } reference ? _calls.FindByMessageId(reference) : null);
        var message = session?.FindMessage(update.MessageId, update.ClientReference);
        if ((session is null || message is null) && route && _router is not LocalReplyRouter)
        {
            switch (await _router.RouteStatusAsync(update, cancellationToken).ConfigureAwait(false))
            {
                case RouteResult.HandedOff:
                    return StatusUpdateOutcome.HandedOff;
                case RouteResult.Duplicate:
                    return StatusUpdateOutcome.Ignored;
            }
        }

        if (session is null || message is null)
        {
            return await ApplyLoggedStatusAsync(update, status, state, cancellationToken).ConfigureAwait(false);
        }

        if (DeliveryStatus.Rank(state) > DeliveryStatus.Rank(message.State))
        {
            // Logged before it is marked as seen: a store that fails answers 503, and the retry applies it.
            await _log.Log.AddStatusAsync(update.MessageId, update.ClientReference, new LoggedStatus(status, state, update.ErrorCode, _time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
        }

        if (!await _deduplication.TryMarkAsync($"status:{update.MessageId}:{status}", _options.DeduplicationRetention, cancellationToken).ConfigureAwait(false))
        {
            return StatusUpdateOutcome.Ignored;
        }

        var outcomeWasUnknown = message.Status == CallMessage.UnknownStatus;
        if (!DeliveryStatus.TryAdvance(message, state, status, update.ErrorCode))
        {
            return StatusUpdateOutcome.Ignored;
        }

        if (message.MessageId != update.MessageId)
        {
            // A send whose answer never came is named at last: index it under the provider's id too.
            message.MessageId = update.MessageId;
            _calls.IndexOutbound(session, message);
            _router.MessageSent(session, message, new CallerConversation(message.Channel, CallerKeys.OfNormalized(message.Caller),
                Catalog.SenderIdentity(message.SenderName, message.SenderName)));
        }

        string? line;
        var endedWait = false;
        if (DeliveryStatus.IsFailure(state))
        {
            _logger.LogWarning("Message {MessageId} of call {CallId} was {Status} (error {ErrorCode}).", update.MessageId, session.CallId, status, update.ErrorCode);
            session.ReleaseFailedSend(message);
            (line, endedWait) = await OnFailureAsync(session, message, update, state).ConfigureAwait(false);
        }
        else
        {
            if (outcomeWasUnknown)
            {
                session.ConfirmSent(message);
            }

            line = FindAction(session, message.ActionName)?.StatusLines.Contains(state) == true ? StatusLines.Progress(message, state) : null;
        }

        if (line is not null && session.IsActive)
        {
            session.QueueStatusLine(message.Channel, status, line);
        }
        else
        {
            line = null;
        }

        if (session.IsActive)
        {
            session.RaiseMessageArrived(new CallMessageEventArgs(message, isStatus: true, endedWait, line is null ? null : StatusLines.Label(message.Channel) + line), _logger);
        }

        await NotifyStatusHandlersAsync(new MessageStatusEvent(session, message, update, line), cancellationToken).ConfigureAwait(false);
        return StatusUpdateOutcome.Applied;
    }

    /// <summary>
    /// A status for a message no live call holds (its call ended before a restart, or was evicted): the message log
    /// takes it, when it is further along than what the log has. A status for a message the log does not know either
    /// is not marked as seen, so a redelivery after the message is recorded still applies.
    /// </summary>
    private async ValueTask<StatusUpdateOutcome> ApplyLoggedStatusAsync(DeliveryStatusUpdate update, string status, DeliveryState state,
        CancellationToken cancellationToken)
    {
        var logged = await _log.Log.FindAsync(update.MessageId, cancellationToken).ConfigureAwait(false);
        if (logged is null && update.ClientReference is { } reference)
        {
            logged = await _log.Log.FindAsync(reference, cancellationToken).ConfigureAwait(false);
        }

        if (logged is not { Direction: MessageDirection.Outbound })
        {
            _logger.LogDebug("Status {Status} for unknown message {MessageId}.", status, update.MessageId);
            return StatusUpdateOutcome.UnknownMessage;
        }

        if (DeliveryStatus.Rank(state) <= DeliveryStatus.Rank(logged.State))
        {
            return StatusUpdateOutcome.Ignored;
        }

        await _log.Log.AddStatusAsync(update.MessageId, update.ClientReference, new LoggedStatus(status, state, update.ErrorCode, _time.GetUtcNow()),
            cancellationToken).ConfigureAwait(false);
        if (!await _deduplication.TryMarkAsync($"status:{update.MessageId}:{status}", _options.DeduplicationRetention, cancellationToken).ConfigureAwait(false))
        {
            return StatusUpdateOutcome.Ignored;
        }

        _logger.LogInformation("Status {Status} of message {MessageId} (call {CallId}, no longer in memory) was recorded in the message log.", status, update.MessageId, logged.CallId);
        return StatusUpdateOutcome.Applied;
    }

    /// <summary>The action as the call knows it (the set it started with), else as the running configuration does.</summary>
    private CompiledAction? FindAction(CallSession session, string? actionName) =>
        session.Actions?.Find(actionName) ?? Catalog.Find(actionName);

    /// <summary>
    /// A message failed after it was sent: a WhatsApp message refused for the closed 24-hour window is sent again once
    /// as its action's approved template (a wait on it then waits on the template); otherwise the waiting action, if
    /// any, ends with the failure. Returns the transcript line, or <see langword="null"/> when the action wants none
    /// or a waiting action already reports the failure (then <c>EndedWait</c> is set).
    /// </summary>
    private async Task<(string? Line, bool EndedWait)> OnFailureAsync(CallSession session, CallMessage message, DeliveryStatusUpdate update, DeliveryState state)
    {
        var wantsLine = FindAction(session, message.ActionName)?.StatusLines.Contains(state) != false;
        if (update.FailureReason == SendFailureReason.WhatsAppWindowClosed && session.IsActive && message.TakeTemplateFallback() is { } fallback)
        {
            var resent = await fallback(CancellationToken.None).ConfigureAwait(false);
            if (resent is not null)
            {
                _logger.LogInformation("Message {MessageId} of call {CallId} hit the closed WhatsApp window; its approved template went out as {TemplateId}.", update.MessageId, session.CallId, resent);
                session.RetargetWait(update.MessageId, resent);
                return (wantsLine ? StatusLines.TemplateSentInstead(message) : null, false);
            }

            var ended = session.FailWait(update.MessageId, update.ErrorCode);
            return (ended || !wantsLine ? null : StatusLines.TemplateFailedToo(message, update), ended);
        }

        var endedWait = session.FailWait(update.MessageId, update.ErrorCode);
        return (endedWait || !wantsLine ? null : StatusLines.Failure(message, update), endedWait);
    }

    private async Task NotifyStatusHandlersAsync(MessageStatusEvent status, CancellationToken cancellationToken)
    {
        foreach (var handler in _statusHandlers)
        {
            try
            {
                await handler.HandleStatusAsync(status, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogError(ex, "Status handler {Handler} failed for message {MessageId}.", handler.GetType().Name, status.Update.MessageId);
            }
        }
    }

    /// <summary>
    /// The message with its attachments made safe (<see cref="ReplyMedia.Sanitize"/>): unsafe URLs dropped with a
    /// warning, content types reduced to <c>type/subtype</c>. The same message when they already are.
    /// </summary>
    private InboundMessage WithSafeMedia(InboundMessage message)
    {
        var media = ReplyMedia.Sanitize(message.Media, out var dropped);
        if (dropped > 0)
        {
            Log.MediaDropped(_logger, message.MessageId, dropped, ReplyMedia.MaxPerReply);
        }

        return ReferenceEquals(media, message.Media) ? message : message with { Media = media };
    }

    private string Mask(string phone) => Redact.Phone(phone, _options.MaskPersonalData);
}
