namespace VoiceBotHost;

/// <summary>
/// The log scope of one call: a dictionary, so structured log sinks get a <c>CallId</c> property, that prints as
/// <c>CallId:CA...</c> on the plain console (which shows a scope's ToString).
/// </summary>
public sealed class CallLogScope : Dictionary<string, object>
{
    private CallLogScope(string callId)
        : base(StringComparer.Ordinal) => this["CallId"] = callId;

    public static IDisposable? Begin(ILogger logger, string callId) => logger.BeginScope(new CallLogScope(callId));

    public override string ToString() => $"CallId:{this["CallId"]}";
}
