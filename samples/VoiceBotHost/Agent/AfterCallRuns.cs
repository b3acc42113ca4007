using System.Collections.Concurrent;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using VoiceBotHost.Llm;

namespace VoiceBotHost.Agent;

/// <summary>
/// After each call, asks the model once more, over the call's final transcript, with only the after-call actions on
/// offer (<see cref="InCallMessagingRuntime.RunAfterCallAsync"/>): "text the booking confirmation if a visit was booked"
/// then happens even though nobody said so on the call. Each run goes on in the background, so the socket's close never
/// waits for it; it uses the chat service the call used, is bounded by <c>VoiceBot:AfterCallTimeout</c>, and is stopped
/// when the host stops (which waits for the runs to wind down). Its outcome is one log line, with no personal data.
/// </summary>
public sealed class AfterCallRuns(InCallMessagingRuntime messaging, VoiceBotSettings settings, IHostApplicationLifetime lifetime,
    ILogger<AfterCallRuns> logger) : IHostedService
{
    // Cancelled as soon as the host begins to stop: the calls it ends then get no run. Never disposed, since a call may
    // still end (and look at it) while the host is being disposed.
    private readonly CancellationTokenSource _stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    /// <summary>
    /// Starts the after-call run of an ended call and returns at once. The task it returns completes when the run is
    /// over, whatever its outcome; it never faults.
    /// </summary>
    /// <param name="call">The call; it has ended.</param>
    /// <param name="history">The call's final chat history (not changed).</param>
    /// <param name="chat">The chat completion service the call's turns used.</param>
    /// <param name="kernel">A kernel with the services and filters of the call's kernel (its plugins are not offered).</param>
    public Task Start(CallSession call, ChatHistory history, IChatCompletionService chat, Kernel kernel)
    {
        if ((call.Actions ?? messaging.Actions).Where(action => action.When == ActionTiming.AfterCall).ActionNames.Count == 0)
        {
            // Nothing to offer, so no model request and nothing to log on every call.
            return Task.CompletedTask;
        }

        Task run;
        // Started from a request's handler: do not carry its context (and log scopes) along.
        using (ExecutionContext.SuppressFlow())
        {
            run = Task.Run(() => RunAsync(call, history, chat, kernel));
        }

        _running.TryAdd(run, 0);
        _ = run.ContinueWith(done => _running.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return run;
    }

    /// <summary>Completes when the runs started so far are over.</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Keys);

    private async Task RunAsync(CallSession call, ChatHistory history, IChatCompletionService chat, Kernel kernel)
    {
        using var scope = CallLogScope.Begin(logger, call.CallId);
        if (_stopping.IsCancellationRequested)
        {
            logger.LogInformation("After the call: the host is stopping, so the model was not asked for after-call texts.");
            return;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        bounded.CancelAfter(settings.AfterCallTimeout);
        try
        {
            var results = await messaging.RunAfterCallAsync(call, history, chat, kernel, bounded.Token);
            logger.LogInformation("After the call: {Outcome}.", Describe(results));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            logger.LogInformation("After the call: the host is stopping; the after-call run was stopped.");
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            logger.LogWarning("After the call: the model run did not finish within VoiceBot:AfterCallTimeout ({Timeout}); it was stopped.",
                settings.AfterCallTimeout);
        }
        catch (Exception ex)
        {
            // The model endpoint timed out or answered an error: one line. Anything else keeps its stack trace.
            ModelFailureLog.Write(logger, ex, "the after-call run stopped");
        }
    }

    /// <summary>"send_booking_confirmation sent", "send_booking_confirmation blocked (duplicate)", or that none applied.</summary>
    internal static string Describe(IReadOnlyList<AfterCallActionResult> results)
    {
        if (results.Count == 0)
        {
            return "no after-call action applied; nothing was sent";
        }

        return string.Join(", ", results.Select(result => Reason(result.Result) is { } reason
            ? $"{result.ActionName} {result.Status} ({reason})"
            : $"{result.ActionName} {result.Status}"));
    }

    /// <summary>The result's reason code (<c>duplicate</c>, <c>opted_out</c>, ...): a fixed word, never a number or a text.</summary>
    private static string? Reason(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                ? reason.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops the runs still going and waits for them to wind down, up to the host's shutdown timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await WhenIdleAsync().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("{Count} after-call run(s) had not stopped when the host's shutdown timeout passed.", _running.Count);
        }
    }
}
