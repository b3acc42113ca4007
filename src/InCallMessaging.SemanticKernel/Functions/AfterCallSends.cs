using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// Schedules the texts of after-call actions (<see cref="ActionTiming.AfterCall"/>) and sends them when their call
/// ends: kept in the <see cref="IScheduledMessageStore"/>, logged as <c>scheduled</c> in the <see cref="IMessageLog"/>,
/// then taken (removed) before the send, so each goes out at most once, and its log entry gets the send's real status
/// (or <c>blocked</c> when the caller opted out meanwhile). One per runtime.
/// </summary>
internal sealed class AfterCallSends(
    IScheduledMessageStore store,
    CallerConsent consent,
    MessageLogWriter log,
    ICallSessionRegistry calls,
    IReplyRouter router,
    Func<InCallActionSet> runningActions,
    InCallMessagingOptions options,
    TimeProvider time,
    ILogger<AfterCallSends> logger)
{
    /// <summary>The status word of a scheduled message in the message log.</summary>
    public const string ScheduledStatus = "scheduled";

    /// <summary>The status word of a scheduled message that was not sent because the caller opted out (or consent could not be read).</summary>
    public const string BlockedStatus = "blocked";

    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();

    /// <summary>The store in use.</summary>
    public IScheduledMessageStore Store => store;

    /// <summary>
    /// Keeps <paramref name="message"/> until <paramref name="session"/> ends, and logs it as scheduled. Returns
    /// <see langword="false"/> when the store could not keep it (then nothing is scheduled).
    /// </summary>
    public async ValueTask<bool> ScheduleAsync(CallSession session, CompiledAction action, string callerKey, OutboundMessage message,
        CancellationToken cancellationToken)
    {
        var scheduled = new ScheduledMessage
        {
            Id = message.ClientReference,
            CallId = session.CallId,
            ActionName = action.Name,
            SenderName = action.SenderName,
            SenderIdentity = action.SenderIdentity,
            Channel = message.Channel,
            To = message.To,
            CallerKey = callerKey,
            Body = message.Body,
            TemplateId = message.Content?.TemplateId,
            TemplateVariables = message.Content?.Variables,
            MediaUrls = [.. message.MediaUrls.Select(u => u.AbsoluteUri)],
            CreatedAt = time.GetUtcNow(),
        };
        try
        {
            await store.AddAsync(scheduled, cancellationToken).ConfigureAwait(false);
            await log.Log.TryAddAsync(log.Outbound(session.CallId, action.Name, action.SenderIdentity, callerKey, message, message.ClientReference,
                ScheduledStatus, scheduled.CreatedAt), cancellationToken).ConfigureAwait(false);
        }
        catch (StateStoreException ex)
        {
            logger.LogError("Action {Action}: the after-call text of call {CallId} could not be scheduled: {Problem}", action.Name, session.CallId, ex.Message);
            // It may have been kept: take it back, so a text the model was told failed never goes out.
            await TryForgetAsync(scheduled.Id).ConfigureAwait(false);
            return false;
        }

        logger.LogInformation("Action {Action}: a text to {To} is scheduled for the end of call {CallId}.", action.Name,
            Redact.Phone(message.To, options.MaskPersonalData), session.CallId);
        // Runs at once when the call ended meanwhile; the store's take makes a second run send nothing.
        session.CallEnded.Register(static state =>
        {
            var (sends, callId) = ((AfterCallSends, string))state!;
            sends.Track(Task.Run(() => sends.SendCallAsync(callId, CancellationToken.None)));
        }, (this, session.CallId));
        return true;
    }

    /// <summary>Sends what the call <paramref name="callId"/> scheduled and has not been sent.</summary>
    /// <returns>How many messages were sent.</returns>
    public async Task<int> SendCallAsync(string callId, CancellationToken cancellationToken)
    {
        try
        {
            var pending = await store.GetPendingAsync(callId, cancellationToken).ConfigureAwait(false);
            return await SendAllAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "The after-call texts of call {CallId} could not all be sent; those not yet taken are sent when the host restarts: {Problem}",
                callId, ex.Message);
            return 0;
        }
    }

    /// <summary>
    /// Sends what every ended call scheduled and has not been sent: calls whose process stopped (at start-up), whose
    /// instance died, or whose send at the end could not start. A call live in this process, or on another instance
    /// (<see cref="IReplyRouter.IsLiveElsewhereAsync"/>), keeps its texts until it ends.
    /// </summary>
    /// <returns>How many messages were sent.</returns>
    public async Task<int> SendEndedCallsAsync(CancellationToken cancellationToken)
    {
        var pending = await store.GetPendingAsync(null, cancellationToken).ConfigureAwait(false);
        var ended = new List<ScheduledMessage>(pending.Count);
        foreach (var call in pending.GroupBy(static m => m.CallId, StringComparer.Ordinal))
        {
            // The latest text a call scheduled is the last time it was known to be live.
            var lastKnownLive = call.Max(static m => m.CreatedAt);
            if (calls.Find(call.Key) is not { IsActive: true }
                && !await router.IsLiveElsewhereAsync(call.Key, lastKnownLive, cancellationToken).ConfigureAwait(false))
            {
                ended.AddRange(call);
            }
        }

        return await SendAllAsync(ended, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Erases (and so never sends) the scheduled texts to <paramref name="callerKey"/>: part of erasing a caller.</summary>
    /// <returns>How many were erased.</returns>
    public async Task<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken)
    {
        var erased = 0;
        foreach (var message in await store.GetPendingAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (message.CallerKey == callerKey && await store.TryTakeAsync(message.Id, cancellationToken).ConfigureAwait(false))
            {
                erased++;
            }
        }

        return erased;
    }

    /// <summary>Waits for the sends started by calls that ended.</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_inFlight.Keys);

    private async Task<int> SendAllAsync(IReadOnlyList<ScheduledMessage> pending, CancellationToken cancellationToken)
    {
        var sent = 0;
        foreach (var message in pending)
        {
            try
            {
                if (await SendAsync(message, cancellationToken).ConfigureAwait(false))
                {
                    sent++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One text's trouble (a store that failed mid-way) does not hold up the others; one not taken yet is tried again later.
                logger.LogError(ex, "The after-call text {Id} of call {CallId} could not be sent: {Problem}", message.Id, message.CallId, ex.Message);
            }
        }

        return sent;
    }

    /// <summary>Takes one scheduled message and sends it, unless another sender took it or the caller opted out.</summary>
    private async Task<bool> SendAsync(ScheduledMessage scheduled, CancellationToken cancellationToken)
    {
        // Taken before the send: a send whose outcome is unknown, or a process that dies now, never sends it twice.
        if (!await store.TryTakeAsync(scheduled.Id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Taken, it is this sender's to finish: a host stopping now must not drop it between the take and the send.
        cancellationToken = CancellationToken.None;

        var action = calls.Find(scheduled.CallId)?.Actions?.Find(scheduled.ActionName) ?? runningActions().Find(scheduled.ActionName);
        if (action is null)
        {
            logger.LogError("The after-call text of call {CallId} was not sent: action {Action} is no longer configured.", scheduled.CallId, scheduled.ActionName);
            await SetStatusAsync(scheduled, scheduled.Id, "failed", DeliveryState.Failed, "action_removed").ConfigureAwait(false);
            return false;
        }

        try
        {
            if ((await consent.GetAsync(scheduled.CallerKey, scheduled.SenderIdentity, cancellationToken).ConfigureAwait(false)).OptedOut)
            {
                logger.LogInformation("The after-call text of call {CallId} (action {Action}) was not sent: the recipient opted out.", scheduled.CallId, action.Name);
                await SetStatusAsync(scheduled, scheduled.Id, BlockedStatus, DeliveryState.Canceled, "opted_out").ConfigureAwait(false);
                return false;
            }
        }
        catch (StateStoreException ex)
        {
            // Without the opt-out list a text could reach someone who said STOP: not sent.
            logger.LogError("The after-call text of call {CallId} was not sent: the consent store could not be read: {Problem}", scheduled.CallId, ex.Message);
            await SetStatusAsync(scheduled, scheduled.Id, BlockedStatus, DeliveryState.Canceled, "state_unavailable").ConfigureAwait(false);
            return false;
        }

        var message = new OutboundMessage
        {
            SenderName = action.SenderName,
            Sender = action.Sender,
            Channel = scheduled.Channel,
            To = scheduled.To,
            Body = scheduled.Body,
            Content = scheduled.TemplateId is { } templateId ? new WhatsAppContent(templateId, scheduled.TemplateVariables ?? new Dictionary<string, string>()) : null,
            MediaUrls = [.. scheduled.MediaUrls.Select(u => new Uri(u, UriKind.Absolute))],
            CallId = scheduled.CallId,
            ActionName = scheduled.ActionName,
            ClientReference = scheduled.Id,
        };
        SendResult result;
        try
        {
            result = await action.Provider.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Provider {Provider} threw while sending the after-call text of call {CallId}.", action.Provider.Name, scheduled.CallId);
            result = SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, "The provider failed unexpectedly.");
        }

        if (result.Succeeded)
        {
            InCallMessagingTelemetry.MessagesSent.Add(1, new KeyValuePair<string, object?>("channel", ChannelNames.Of(scheduled.Channel)));
            Log.MessageSent(logger, options.MaskPersonalData, action.Name, scheduled.CallId, result.MessageId!, message.Body, message.To);
            var status = result.Status ?? "sent";
            await SetStatusAsync(scheduled, result.MessageId!, status, DeliveryStatus.FromWord(status), null).ConfigureAwait(false);
            return true;
        }

        if (result.Failure == SendFailureReason.OptedOut)
        {
            await consent.RecordOptOutAsync(scheduled.CallerKey, scheduled.SenderIdentity, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }

        var reason = result.Failure is { } failure ? SnakeCase<SendFailureReason>.Of(failure) : "unknown";
        Log.SendFailed(logger, options.MaskPersonalData, action.Name, scheduled.CallId, scheduled.To, reason, result.ErrorCode);
        await SetStatusAsync(scheduled, scheduled.Id, result.MayHaveBeenSent ? CallMessage.UnknownStatus : "failed",
            result.MayHaveBeenSent ? DeliveryState.Unknown : DeliveryState.Failed, result.ErrorCode ?? reason).ConfigureAwait(false);
        return false;
    }

    private async ValueTask SetStatusAsync(ScheduledMessage scheduled, string messageId, string status, DeliveryState state, string? errorCode)
    {
        try
        {
            await log.Log.AddStatusAsync(messageId, scheduled.Id, new LoggedStatus(status, state, errorCode, time.GetUtcNow()), CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (StateStoreException ex)
        {
            logger.LogError("The message log could not record status {Status} of the after-call text of call {CallId}: {Problem}", status, scheduled.CallId, ex.Message);
        }
    }

    private async ValueTask TryForgetAsync(string id)
    {
        try
        {
            await store.TryTakeAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StateStoreException)
        {
            // The store is down: it was not kept either.
        }
    }

    private void Track(Task task)
    {
        _inFlight.TryAdd(task, 0);
        task.ContinueWith(static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _), _inFlight,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
