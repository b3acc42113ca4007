using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel;

/// <summary>The in-memory <see cref="IConsentStore"/>: one host, forgotten on restart.</summary>
public sealed class InMemoryConsentStore : IConsentStore
{
    private readonly ConcurrentDictionary<(string Caller, string Sender), ConsentRecord> _records = new();
    private readonly Lock _writes = new();

    /// <inheritdoc />
    public ValueTask<ConsentRecord> GetAsync(string callerKey, string senderIdentity, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_records.GetValueOrDefault((callerKey, senderIdentity)));

    /// <inheritdoc />
    public ValueTask<bool> SetOptedOutAsync(string callerKey, string senderIdentity, bool optedOut, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_writes)
        {
            var existing = _records.GetValueOrDefault((callerKey, senderIdentity));
            _records[(callerKey, senderIdentity)] = existing with { OptedOut = optedOut };
            return ValueTask.FromResult(existing.OptedOut != optedOut);
        }
    }

    /// <inheritdoc />
    public ValueTask RecordWhatsAppInboundAsync(string callerKey, string senderIdentity, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_writes)
        {
            var existing = _records.GetValueOrDefault((callerKey, senderIdentity));
            if (existing.LastWhatsAppInbound is not { } last || last < at)
            {
                _records[(callerKey, senderIdentity)] = existing with { LastWhatsAppInbound = at };
            }
        }

        return ValueTask.CompletedTask;
    }
}
