using System.Collections.Concurrent;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// What customers told each sender: opt-outs (STOP ... until START) and the time of their last inbound WhatsApp
/// message, which opens WhatsApp's 24-hour free-form window.
/// </summary>
internal sealed class CustomerConsent
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

    private readonly ConcurrentDictionary<(string Customer, string Sender), byte> _optedOut = new(CustomerSenderComparer.Instance);
    private readonly ConcurrentDictionary<(string Customer, string Sender), DateTimeOffset> _lastWhatsAppInbound = new(CustomerSenderComparer.Instance);

    /// <summary>Records an inbound message's effect on consent; returns whether it was an opt-out or opt-in keyword.</summary>
    public ConsentChange Observe(string customer, string sender, MessageChannel channel, string text, string? optOutType, DateTimeOffset now)
    {
        var key = (customer, sender);
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

    public bool IsOptedOut(string customer, string sender) => _optedOut.ContainsKey((customer, sender));

    public void RecordOptOut(string customer, string sender) => _optedOut[(customer, sender)] = 0;

    public bool IsWhatsAppWindowOpen(string customer, string sender, DateTimeOffset now) =>
        _lastWhatsAppInbound.TryGetValue((customer, sender), out var last) && now - last < WhatsAppWindow;
}

/// <summary>Customer numbers compare exactly; sender names ignore case, as everywhere.</summary>
internal sealed class CustomerSenderComparer : IEqualityComparer<(string Customer, string Sender)>
{
    public static readonly CustomerSenderComparer Instance = new();

    public bool Equals((string Customer, string Sender) x, (string Customer, string Sender) y) =>
        string.Equals(x.Customer, y.Customer, StringComparison.Ordinal) && string.Equals(x.Sender, y.Sender, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode((string Customer, string Sender) obj) =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(obj.Customer), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Sender));
}

/// <summary>What an inbound message did to consent.</summary>
internal enum ConsentChange
{
    None,
    OptedOut,
    OptedIn,
}
