using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Matches inbound messages to their call (the replied-to message when the provider names it, else the call that most
/// recently texted this caller from this sender) and delivers them: a waiting action resumes, the reply variable is
/// set and one <c>[SMS Reply]: ...</c> line is queued for the chat history.
/// </summary>
internal sealed class ReplyHub : IReplyHub
{
    private const int UnmatchedCapacity = 256;

    private readonly ICallSessionRegistry _calls;
    private readonly ActionCatalog _catalog;
    private readonly CallerConsent _consent;
    private readonly IDeduplicationStore _deduplication;
    private readonly IReadOnlyList<IAfterCallReplyHandler> _afterCallHandlers;
    private readonly IReadOnlyList<IMessageStatusHandler> _statusHandlers;
    private readonly InCallMessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Queue<InboundMessage> _unmatched = new();

    public ReplyHub(ICallSessionRegistry calls, ActionCatalog catalog, CallerConsent consent, IDeduplicationStore deduplication,
        IEnumerable<IAfterCallReplyHandler> afterCallHandlers, InCallMessagingOptions options, TimeProvider time, ILogger logger,
        IEnumerable<IMessageStatusHandler>? statusHandlers = null)
    {
        _statusHandlers = [.. statusHandlers ?? []];
        _calls = calls;
        _catalog = catalog;
        _consent = consent;
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
        if (!await _deduplication.TryMarkAsync("in:" + message.MessageId, _options.DeduplicationRetention, cancellationToken).ConfigureAwait(false))
        {
            Log.DuplicateInbound(_logger, message.MessageId);
            return ReplyDeliveryOutcome.Duplicate;
        }

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
        var configuredSender = message.SenderName ?? _catalog.ResolveSender(message.To, message.ServiceId);
        var sender = configuredSender ?? PhoneNumbers.NormalizeOrKeep(message.To);
        var text = ReplyText.Sanitize(message.Text, _options.MaxReplyLength);
        var change = _consent.Observe(caller, sender, message.Channel, text, message.OptOutType, now);
        if (change != ConsentChange.None)
        {
            _logger.LogInformation("Caller {Caller} {Change} sender '{Sender}'.", Mask(caller), change == ConsentChange.OptedOut ? "opted out of" : "opted back in to", configuredSender ?? Mask(sender));
        }

        var session = (message.InReplyToMessageId is { } repliedTo ? _calls.FindByMessageId(repliedTo) : null)
            ?? _calls.FindByConversation(message.Channel, caller, sender);
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

    public async ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var status = update.Status.ToLowerInvariant();
        var state = update.MappedState ?? DeliveryStatus.FromWord(status);
        var session = _calls.FindByMessageId(update.MessageId)
            ?? (update.ClientReference is { } reference ? _calls.FindByMessageId(reference) : null);
        var message = session?.FindMessage(update.MessageId, update.ClientReference);
        if (session is null || message is null)
        {
            // Not marked as seen: a redelivery after the message is recorded must still apply.
            _logger.LogDebug("Status {Status} for unknown message {MessageId}.", status, update.MessageId);
            return StatusUpdateOutcome.UnknownMessage;
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

            line = _catalog.Find(message.ActionName)?.StatusLines.Contains(state) == true ? StatusLines.Progress(message, state) : null;
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
    /// A message failed after it was sent: a WhatsApp message refused for the closed 24-hour window is sent again once
    /// as its action's approved template (a wait on it then waits on the template); otherwise the waiting action, if
    /// any, ends with the failure. Returns the transcript line, or <see langword="null"/> when the action wants none
    /// or a waiting action already reports the failure (then <c>EndedWait</c> is set).
    /// </summary>
    private async Task<(string? Line, bool EndedWait)> OnFailureAsync(CallSession session, CallMessage message, DeliveryStatusUpdate update, DeliveryState state)
    {
        var wantsLine = _catalog.Find(message.ActionName)?.StatusLines.Contains(state) != false;
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
