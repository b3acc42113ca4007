namespace VoiceBotHost.Agent;

/// <summary>What one line of the trace shows: a tool call, its JSON result, a line entering the history, or the wait.</summary>
public enum TraceKind
{
    /// <summary>The model called a tool; <see cref="TraceEntry.Text"/> is its name and JSON arguments.</summary>
    ToolCall,

    /// <summary>The JSON the tool returned to the model.</summary>
    ToolResult,

    /// <summary>A line that just entered the chat history from a text or a delivery status (<c>[SMS Reply]: ...</c>).</summary>
    HistoryLine,

    /// <summary>An action began waiting for the caller's text.</summary>
    WaitStarted,

    /// <summary>
    /// The agent began a new utterance on the call's socket (no text): a marker that places the entries around it
    /// before or after that utterance, for a view that receives the speech and the trace on two channels.
    /// </summary>
    AgentSpeaking,

    /// <summary>No action waits for a text any more.</summary>
    WaitEnded,
}

/// <summary>One thing the model saw, on one call.</summary>
public sealed record TraceEntry(string CallId, TraceKind Kind, string Text, DateTimeOffset At);

/// <summary>
/// "See what the model sees": every tool call with its arguments, every JSON result, and every reply or status line at
/// the moment it enters the chat history, in order, per call. The call simulator and <c>-- demo</c> show it; a real
/// deployment can log it. It carries no one-time code: the model never has one to see.
/// </summary>
public sealed class AgentTrace(TimeProvider time)
{
    /// <summary>Raised on the thread that produced the entry; keep handlers short.</summary>
    public event EventHandler<TraceEntry>? Traced;

    public void Publish(string callId, TraceKind kind, string text) =>
        Traced?.Invoke(this, new TraceEntry(callId, kind, text, time.GetUtcNow()));
}
