using VoiceBotHost.Agent;

namespace VoiceBotHost.Simulator;

/// <summary>
/// Sends the agent's trace (<see cref="AgentTrace"/>: tool calls, JSON results, reply lines entering the history, and
/// the start and end of each wait for a text) to the simulator's pages as <c>trace</c> events, for its "what the model
/// sees" view and its "waiting for a text" timer.
/// </summary>
public sealed class ModelViewPublisher(AgentTrace trace, SimulatorEventStream events) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        trace.Traced += OnTraced;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        trace.Traced -= OnTraced;
        return Task.CompletedTask;
    }

    private void OnTraced(object? sender, TraceEntry entry) =>
        events.Publish("trace", new { callSid = entry.CallId, kind = KindName(entry.Kind), text = entry.Text, at = entry.At });

    private static string KindName(TraceKind kind) => kind switch
    {
        TraceKind.ToolCall => "tool-call",
        TraceKind.ToolResult => "tool-result",
        TraceKind.HistoryLine => "history",
        TraceKind.WaitStarted => "wait-started",
        TraceKind.AgentSpeaking => "agent-speaking",
        _ => "wait-ended",
    };
}
