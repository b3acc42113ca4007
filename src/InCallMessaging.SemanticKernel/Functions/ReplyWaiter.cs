using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// Waits for the caller's answer to one sent message (a text, their spoken words, a delivery failure, the call ending,
/// or the timeout with its fallback line) and turns the outcome into the action's result.
/// </summary>
internal sealed class ReplyWaiter(CompiledAction action, ActionSpeech speech, TimeProvider time, ILogger logger)
{
    private MessageChannel Channel => action.Definition.Channel;

    public async Task<ActionResult> WaitAsync(CallSession session, ReplyWait wait, string maskedTo, string messageId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var timeout = new CancellationTokenSource(action.Definition.ReplyTimeout, time);
        var onTimeout = timeout.Token.Register(static state => ((ReplyWait)state!).TryComplete(new ReplyWaitOutcome(ReplyWaitKind.TimedOut)), wait);
        var onCancel = cancellationToken.Register(static state => ((ReplyWait)state!).TryComplete(new ReplyWaitOutcome(ReplyWaitKind.Cancelled)), wait);
        var reminders = StartReminders(session, wait);
        var detached = false;
        try
        {
            session.ArmWait(wait, logger);
            var first = await Task.WhenAny(wait.Task, wait.StepAsideRequested).ConfigureAwait(false);
            if (first != wait.Task && session.TryDetachWait(wait))
            {
                // The caller said something else: the action returns so the model can answer it; the wait goes on.
                await onCancel.DisposeAsync().ConfigureAwait(false);
                detached = true;
                _ = FinishInBackgroundAsync(session, wait, timeout, onTimeout, reminders, started);
                Log.WaitContinuesInBackground(logger, action.Name, session.CallId);
                return new ActionResult(ActionResult.Waiting, Channel, maskedTo, messageId, Reason: "caller_spoke",
                    Detail: $"The caller said something else before replying; their words come next: answer them. This action is still waiting for their reply in the background: it will arrive as a {ReplyLinePrefix} line (or they may say it). Do not send the message again.");
            }

            return await ResultAsync(session, await wait.Task.ConfigureAwait(false), maskedTo, messageId, started, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!detached)
            {
                await onCancel.DisposeAsync().ConfigureAwait(false);
                await DisposeAsync(timeout, onTimeout, reminders).ConfigureAwait(false);
            }
        }
    }

    private string ReplyLinePrefix => Channel == MessageChannel.WhatsApp ? "[WhatsApp Reply]:" : "[SMS Reply]:";

    /// <summary>Speaks the action's reminder every interval until the wait ends, so the line is never silent for long.</summary>
    private ITimer? StartReminders(CallSession session, ReplyWait wait)
    {
        if (action.Reminder is not { } reminder)
        {
            return null;
        }

        return time.CreateTimer(_ =>
        {
            if (!wait.Task.IsCompleted)
            {
                _ = speech.SpeakAsync(session, reminder, session.CallEnded).AsTask();
            }
        }, null, action.ReminderInterval, action.ReminderInterval);
    }

    /// <summary>A wait whose action returned: ends on the reply, the timeout (with its fallback line) or the call's end, then leaves the session.</summary>
    private async Task FinishInBackgroundAsync(CallSession session, ReplyWait wait, CancellationTokenSource timeout, CancellationTokenRegistration onTimeout, ITimer? reminders, long started)
    {
        try
        {
            var outcome = await wait.Task.ConfigureAwait(false);
            Record(session, outcome, started);
            if (outcome.Kind == ReplyWaitKind.TimedOut)
            {
                await speech.SpeakAsync(session, action.FallbackMessage, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            await DisposeAsync(timeout, onTimeout, reminders).ConfigureAwait(false);
            session.EndWait(wait, logger);
        }
    }

    private static async ValueTask DisposeAsync(CancellationTokenSource timeout, CancellationTokenRegistration onTimeout, ITimer? reminders)
    {
        if (reminders is not null)
        {
            await reminders.DisposeAsync().ConfigureAwait(false);
        }

        await onTimeout.DisposeAsync().ConfigureAwait(false);
        timeout.Dispose();
    }

    private void Record(CallSession session, ReplyWaitOutcome outcome, long started)
    {
        var kind = SnakeCase<ReplyWaitKind>.Of(outcome.Kind);
        InCallMessagingTelemetry.WaitOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", kind));
        InCallMessagingTelemetry.WaitDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", kind));
        Log.WaitEnded(logger, action.Name, session.CallId, kind);
    }

    private async Task<ActionResult> ResultAsync(CallSession session, ReplyWaitOutcome outcome, string maskedTo, string messageId, long started, CancellationToken cancellationToken)
    {
        Record(session, outcome, started);
        switch (outcome.Kind)
        {
            case ReplyWaitKind.Replied when outcome.Reply is { Media.Count: > 0 } withMedia:
                return new ActionResult(ActionResult.Replied, Channel, maskedTo, messageId, outcome.Text, Media: withMedia.Media,
                    Detail: $"The caller texted back with {withMedia.Media.Count} attachment(s) (listed in media){(outcome.Text is { Length: > 0 } ? "" : " and no text")}; the reply is also stored as {action.ReplyVariable}, the attachments as {CallVariables.MediaVariable(action.ReplyVariable)}.");
            case ReplyWaitKind.Replied:
                return new ActionResult(ActionResult.Replied, Channel, maskedTo, messageId, outcome.Text,
                    Detail: $"The caller texted back; the reply is also stored as {action.ReplyVariable}.");
            case ReplyWaitKind.OptedOut:
                return new ActionResult(ActionResult.Blocked, Channel, maskedTo, messageId, Reason: "opted_out",
                    Detail: "The caller texted STOP instead of replying: they opted out of texts from this number. Do not text them again; continue by voice, and tell them in plain words that texting START to this number turns texts back on.");
            case ReplyWaitKind.AnsweredByVoice:
                return new ActionResult(ActionResult.AnsweredByVoice, Channel, maskedTo, messageId, outcome.Text,
                    Detail: "The caller answered by speaking instead of texting; use their spoken words.");
            case ReplyWaitKind.DeliveryFailed:
                return new ActionResult(ActionResult.Failed, Channel, maskedTo, messageId, Reason: "undelivered",
                    Detail: $"The message could not be delivered (error {outcome.ErrorCode ?? "unknown"}). Tell the caller and offer to read the information aloud or use another number.");
            case ReplyWaitKind.CallEnded:
                return new ActionResult(ActionResult.NoReply, Channel, maskedTo, messageId, Reason: "call_ended", Detail: "The call ended before a reply came.");
            case ReplyWaitKind.Cancelled:
                cancellationToken.ThrowIfCancellationRequested();
                return new ActionResult(ActionResult.NoReply, Channel, maskedTo, messageId, Reason: "cancelled", Detail: "The wait was cancelled.");
            default:
                await speech.SpeakAsync(session, action.FallbackMessage, CancellationToken.None).ConfigureAwait(false);
                return new ActionResult(ActionResult.NoReply, Channel, maskedTo, messageId, Reason: "timeout",
                    Detail: $"No reply within {action.Definition.ReplyTimeout.TotalSeconds:0} seconds. The caller was told: \"{action.FallbackMessage}\" Continue the conversation; a later reply will still appear.");
        }
    }
}
