using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

public sealed partial class RedisStateStore
{
    /// <inheritdoc />
    public ValueTask<ConsentRecord> GetAsync(string callerKey, string senderIdentity, CancellationToken cancellationToken = default)
    {
        var key = ConsentKey(callerKey, senderIdentity);
        return RunAsync("Reading consent", async database =>
        {
            var fields = await database.HashGetAsync(key, ["out", "wa"]).ConfigureAwait(false);
            return new ConsentRecord(fields[0] == "1", fields[1].IsNull ? null : Time((long)fields[1]));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> SetOptedOutAsync(string callerKey, string senderIdentity, bool optedOut, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var key = ConsentKey(callerKey, senderIdentity);
        return RunAsync(optedOut ? "Recording an opt-out" : "Recording an opt-in", async database =>
        {
            var result = await database.ScriptEvaluateAsync(RedisScripts.SetOptedOut, [key], [optedOut ? "1" : "0", Ticks(at)]).ConfigureAwait(false);
            return (int)result == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask RecordWhatsAppInboundAsync(string callerKey, string senderIdentity, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var key = ConsentKey(callerKey, senderIdentity);
        await RunAsync("Recording an inbound WhatsApp message", database =>
            database.ScriptEvaluateAsync(RedisScripts.RecordWhatsAppInbound, [key], [Ticks(at)]), cancellationToken).ConfigureAwait(false);
    }

    private RedisKey ConsentKey(string callerKey, string senderIdentity)
    {
        ArgumentNullException.ThrowIfNull(callerKey);
        ArgumentNullException.ThrowIfNull(senderIdentity);
        return Key($"consent:{callerKey}:{senderIdentity}");
    }
}
