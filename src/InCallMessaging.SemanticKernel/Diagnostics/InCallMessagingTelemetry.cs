using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The name of the plugin's activity source and meter (<see cref="SourceName"/>): add it to OpenTelemetry's tracing and
/// metrics and the plugin shows up with no other code. The instruments themselves are the plugin's own.
/// </summary>
public static class InCallMessagingTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string SourceName = "InCallMessaging.SemanticKernel";

    /// <summary>Traces each action invocation (<c>incall_messaging.action</c>) and each inbound delivery.</summary>
    internal static readonly ActivitySource ActivitySource = new(SourceName, "1.0.0");

    /// <summary>The plugin's meter.</summary>
    internal static readonly Meter Meter = new(SourceName, "1.0.0");

    internal static readonly Counter<long> MessagesSent =
        Meter.CreateCounter<long>("incall_messaging.messages.sent", "{message}", "Messages accepted by a provider.");

    internal static readonly Counter<long> MessagesFailed =
        Meter.CreateCounter<long>("incall_messaging.messages.failed", "{message}", "Sends the provider rejected or could not complete.");

    internal static readonly Counter<long> MessagesBlocked =
        Meter.CreateCounter<long>("incall_messaging.messages.blocked", "{message}", "Sends stopped by the plugin's checks (limit, duplicate, opt-out, missing value, ...).");

    internal static readonly Counter<long> RepliesMatched =
        Meter.CreateCounter<long>("incall_messaging.replies.matched", "{message}", "Inbound messages matched to a call.");

    internal static readonly Counter<long> RepliesUnmatched =
        Meter.CreateCounter<long>("incall_messaging.replies.unmatched", "{message}", "Inbound messages no call could be matched to.");

    internal static readonly Counter<long> ReplyLinesDropped =
        Meter.CreateCounter<long>("incall_messaging.replies.lines_dropped", "{line}", "Reply lines dropped from a call's pending transcript (more texts than MaxPendingReplyLines between two turns).");

    internal static readonly Counter<long> WaitOutcomes =
        Meter.CreateCounter<long>("incall_messaging.wait.outcomes", "{wait}", "Reply waits by outcome.");

    internal static readonly Histogram<double> WaitDuration =
        Meter.CreateHistogram<double>("incall_messaging.wait.duration", "s", "How long reply waits lasted.");
}
