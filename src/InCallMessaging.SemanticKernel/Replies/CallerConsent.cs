namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Reads what callers said about texts (opt-out keywords, WhatsApp messages) and keeps it in the
/// <see cref="IConsentStore"/>, per (caller key, sending identity).
/// </summary>
internal sealed class CallerConsent(IConsentStore store)
{
    /// <summary>WhatsApp's customer-service window.</summary>
    public static readonly TimeSpan WhatsAppWindow = TimeSpan.FromHours(24);

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
    };

    private static readonly HashSet<string> StartWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "START", "UNSTOP", "YES",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> StopLookup = StopWords.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> StartLookup = StartWords.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly int LongestKeyword = StopWords.Concat(StartWords).Max(w => w.Length);

    /// <summary>The store this reads and writes.</summary>
    public IConsentStore Store => store;

    /// <summary>Records an inbound message's effect on consent; returns whether it was an opt-out or opt-in keyword.</summary>
    public async ValueTask<ConsentChange> ObserveAsync(string callerKey, string senderIdentity, MessageChannel channel, string text, string? optOutType,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (channel == MessageChannel.WhatsApp)
        {
            await store.RecordWhatsAppInboundAsync(callerKey, senderIdentity, now, cancellationToken).ConfigureAwait(false);
        }

        switch (Keyword(text, optOutType))
        {
            case ConsentChange.OptedOut:
                await store.SetOptedOutAsync(callerKey, senderIdentity, optedOut: true, now, cancellationToken).ConfigureAwait(false);
                return ConsentChange.OptedOut;
            case ConsentChange.OptedIn:
                return await store.SetOptedOutAsync(callerKey, senderIdentity, optedOut: false, now, cancellationToken).ConfigureAwait(false)
                    ? ConsentChange.OptedIn
                    : ConsentChange.None;
            default:
                return ConsentChange.None;
        }
    }

    /// <summary>What a text says about consent: a keyword is the whole text, give or take spaces and a final '.' or '!'.</summary>
    public static ConsentChange Keyword(string text, string? optOutType)
    {
        var word = text.AsSpan().Trim().TrimEnd(".!");
        if (string.Equals(optOutType, "STOP", StringComparison.OrdinalIgnoreCase) || IsKeyword(StopLookup, word))
        {
            return ConsentChange.OptedOut;
        }

        return string.Equals(optOutType, "START", StringComparison.OrdinalIgnoreCase) || IsKeyword(StartLookup, word)
            ? ConsentChange.OptedIn
            : ConsentChange.None;
    }

    private static bool IsKeyword(HashSet<string>.AlternateLookup<ReadOnlySpan<char>> keywords, ReadOnlySpan<char> word) =>
        word.Length <= LongestKeyword && keywords.Contains(word);

    public ValueTask<ConsentRecord> GetAsync(string callerKey, string senderIdentity, CancellationToken cancellationToken) =>
        store.GetAsync(callerKey, senderIdentity, cancellationToken);

    public ValueTask<bool> RecordOptOutAsync(string callerKey, string senderIdentity, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.SetOptedOutAsync(callerKey, senderIdentity, optedOut: true, now, cancellationToken);

    /// <summary>Whether WhatsApp's 24-hour window is open at <paramref name="now"/>.</summary>
    public static bool IsWhatsAppWindowOpen(ConsentRecord consent, DateTimeOffset now) =>
        consent.LastWhatsAppInbound is { } last && now - last < WhatsAppWindow;
}

/// <summary>What an inbound message did to consent.</summary>
internal enum ConsentChange
{
    None,
    OptedOut,
    OptedIn,
}
