using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// What callers told each sender: opt-outs (STOP ... until START) and the time of their last inbound WhatsApp
/// message, which opens WhatsApp's 24-hour free-form window.
/// </summary>
internal sealed class CallerConsent
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

    private readonly ConcurrentDictionary<(string Caller, string Sender), byte> _optedOut = new(CallerSenderComparer.Instance);
    private readonly ConcurrentDictionary<(string Caller, string Sender), DateTimeOffset> _lastWhatsAppInbound = new(CallerSenderComparer.Instance);

    /// <summary>Records an inbound message's effect on consent; returns whether it was an opt-out or opt-in keyword.</summary>
    public ConsentChange Observe(string caller, string sender, MessageChannel channel, string text, string? optOutType, DateTimeOffset now)
    {
        var key = (caller, sender);
        if (channel == MessageChannel.WhatsApp)
        {
            _lastWhatsAppInbound[key] = now;
        }

        // A keyword is the whole text, give or take spaces and a final '.' or '!': no copy of the text to find out.
        var word = text.AsSpan().Trim().TrimEnd(".!");
        if (string.Equals(optOutType, "STOP", StringComparison.OrdinalIgnoreCase) || IsKeyword(StopLookup, word))
        {
            _optedOut[key] = 0;
            return ConsentChange.OptedOut;
        }

        if (string.Equals(optOutType, "START", StringComparison.OrdinalIgnoreCase) || IsKeyword(StartLookup, word))
        {
            return _optedOut.TryRemove(key, out _) ? ConsentChange.OptedIn : ConsentChange.None;
        }

        return ConsentChange.None;
    }

    private static bool IsKeyword(HashSet<string>.AlternateLookup<ReadOnlySpan<char>> keywords, ReadOnlySpan<char> word) =>
        word.Length <= LongestKeyword && keywords.Contains(word);

    public bool IsOptedOut(string caller, string sender) => _optedOut.ContainsKey((caller, sender));

    public void RecordOptOut(string caller, string sender) => _optedOut[(caller, sender)] = 0;

    public bool IsWhatsAppWindowOpen(string caller, string sender, DateTimeOffset now) =>
        _lastWhatsAppInbound.TryGetValue((caller, sender), out var last) && now - last < WhatsAppWindow;
}

/// <summary>Caller numbers compare exactly; sender names ignore case, as everywhere.</summary>
internal sealed class CallerSenderComparer : IEqualityComparer<(string Caller, string Sender)>
{
    public static readonly CallerSenderComparer Instance = new();

    public bool Equals((string Caller, string Sender) x, (string Caller, string Sender) y) =>
        string.Equals(x.Caller, y.Caller, StringComparison.Ordinal) && string.Equals(x.Sender, y.Sender, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode((string Caller, string Sender) obj) =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(obj.Caller), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Sender));
}

/// <summary>What an inbound message did to consent.</summary>
internal enum ConsentChange
{
    None,
    OptedOut,
    OptedIn,
}
