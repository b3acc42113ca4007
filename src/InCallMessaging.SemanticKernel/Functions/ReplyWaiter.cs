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
        using var timeout = new CancellationTokenSource(action.Definition.ReplyTimeout, time);
        await using var onTimeout = timeout.Token.Register(static state => ((ReplyWait)state!).TryComplete(new ReplyWaitOutcome(ReplyWaitKind.TimedOut)), wait).ConfigureAwait(false);
        await using var onCancel = cancellationToken.Register(static state => ((ReplyWait)state!).TryComplete(new ReplyWaitOutcome(ReplyWaitKind.Cancelled)), wait).ConfigureAwait(false);
        wait.IsArmed = true;
        var outcome = await wait.Task.ConfigureAwait(false);
        var kind = SnakeCase<ReplyWaitKind>.Of(outcome.Kind);
        InCallMessagingTelemetry.WaitOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", kind));
        InCallMessagingTelemetry.WaitDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", kind));
        Log.WaitEnded(logger, action.Name, session.CallId, kind);

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
                    Detail: "The caller texted STOP instead of replying: they opted out of texts from this number. Do not text them again; continue by voice.");
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
