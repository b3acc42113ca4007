using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Templates;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// What the caller hears around one action's send: its spoken lines rendered with the body's values
/// (<c>MessageBeforeAction</c>, <c>MessageOnFailure</c>, <c>MessageOnDelay</c>, the fallback). Speaking never fails the
/// action: a call without a speech channel, or a line whose value is missing, is skipped and logged.
/// </summary>
internal sealed class ActionSpeech(CompiledAction action, TimeProvider time, ILogger logger)
{
    /// <summary>Speaks plain text into the call.</summary>
    public async ValueTask SpeakAsync(CallSession session, string text, CancellationToken cancellationToken)
    {
        if (session.Speech is not { } speech)
        {
            logger.LogDebug("Call {CallId} has no speech channel; not speaking.", session.CallId);
            return;
        }

        try
        {
            await speech.SpeakAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Speaking into call {CallId} failed.", session.CallId);
        }
    }

    /// <summary>Renders a spoken line with the values the body renders with, and speaks it. A line whose value is missing is skipped.</summary>
    public async ValueTask SpeakLineAsync(CallSession session, MessageTemplate? line, string field, List<KeyValuePair<string, object?>> values, CancellationToken cancellationToken)
    {
        if (line is null)
        {
            return;
        }

        foreach (var variable in line.Variables)
        {
            if (!values.Exists(v => v.Key == variable))
            {
                logger.LogDebug("Action {Action}: {Field} not spoken in call {CallId}: '{Variable}' has no value.", action.Name, field, session.CallId, variable);
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
            logger.LogDebug(ex, "Action {Action}: {Field} not spoken in call {CallId}: it could not be rendered.", action.Name, field, session.CallId);
            return;
        }

        if (!string.IsNullOrWhiteSpace(text))
        {
            await SpeakAsync(session, text, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="send"/> and, when the action has a <see cref="InCallMessageAction.MessageOnDelay"/>, speaks it
    /// once if the provider has not answered within <see cref="InCallMessageAction.DelayThreshold"/>. The send goes on
    /// while the line is spoken.
    /// </summary>
    public async ValueTask<SendResult> WithDelayLineAsync(CallSession session, Func<ValueTask<SendResult>> send, SpokenLines spoken, CancellationToken cancellationToken)
    {
        if (action.OnDelay is null || spoken.DelaySpoken)
        {
            return await send().ConfigureAwait(false);
        }

        // The timer starts before the provider is called: the threshold counts from the moment the send begins.
        using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(action.Definition.DelayThreshold, time, stopDelay.Token);
        var sending = send().AsTask();
        if (!sending.IsCompleted && await Task.WhenAny(sending, delay).ConfigureAwait(false) == delay && delay.IsCompletedSuccessfully)
        {
            spoken.DelaySpoken = true;
            await SpeakLineAsync(session, action.OnDelay, nameof(InCallMessageAction.MessageOnDelay), spoken.Values ?? [], cancellationToken).ConfigureAwait(false);
        }

        await stopDelay.CancelAsync().ConfigureAwait(false);
        return await sending.ConfigureAwait(false);
    }
}

/// <summary>What one invocation's spoken lines need: the values the body renders with, once all are known.</summary>
internal sealed class SpokenLines
{
    public List<KeyValuePair<string, object?>>? Values { get; set; }

    public bool DelaySpoken { get; set; }
}
