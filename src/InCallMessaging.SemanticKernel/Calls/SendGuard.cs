namespace InCallMessaging.SemanticKernel;

/// <summary>
/// One call's guards on sending: the per-call cap, the distinct-recipient cap and the duplicate window. A send that
/// provably failed gives its reservation back; one whose outcome is unknown keeps it, so the same text is not sent
/// twice. Not thread-safe: the <see cref="CallSession"/> that owns it holds its lock around every call.
/// </summary>
internal sealed class SendGuard
{
    private readonly Dictionary<string, RecentText> _recentTexts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _recipients = new(StringComparer.Ordinal);
    private int _reservedSends;

    public SendReservation TryReserve(string duplicateKey, string recipient, DateTimeOffset now, TimeSpan window, int maxMessages, int maxRecipients)
    {
        if (_recentTexts.TryGetValue(duplicateKey, out var recent) && now - recent.At < window)
        {
            return recent.OutcomeUnknown ? SendReservation.MayHaveBeenSent : SendReservation.Duplicate;
        }

        if (_reservedSends >= maxMessages)
        {
            return SendReservation.LimitReached;
        }

        if (!_recipients.Contains(recipient) && _recipients.Count >= maxRecipients)
        {
            return SendReservation.RecipientLimitReached;
        }

        _reservedSends++;
        _recipients.Add(recipient);
        _recentTexts[duplicateKey] = new RecentText(now, OutcomeUnknown: false);
        return SendReservation.Reserved;
    }

    /// <summary>Gives back a reservation made at <paramref name="reservedAt"/>: the send is known not to have reached the caller.</summary>
    public void Release(string duplicateKey, DateTimeOffset reservedAt)
    {
        _reservedSends--;
        if (_recentTexts.TryGetValue(duplicateKey, out var recent) && recent.At == reservedAt)
        {
            _recentTexts.Remove(duplicateKey);
        }
    }

    /// <summary>Marks whether the send reserved at <paramref name="reservedAt"/> has an unknown outcome.</summary>
    public void SetOutcomeUnknown(string duplicateKey, DateTimeOffset reservedAt, bool unknown)
    {
        if (_recentTexts.TryGetValue(duplicateKey, out var recent) && recent.At == reservedAt)
        {
            _recentTexts[duplicateKey] = recent with { OutcomeUnknown = unknown };
        }
    }
}

/// <summary>The answer to a send reservation.</summary>
internal enum SendReservation
{
    Reserved,
    Duplicate,
    MayHaveBeenSent,
    LimitReached,
    RecipientLimitReached,
}

/// <summary>When a text was last reserved for a recipient, and whether that send's outcome is unknown.</summary>
internal readonly record struct RecentText(DateTimeOffset At, bool OutcomeUnknown);

/// <summary>What a sent message holds of its reservation, to give it back if the provider later reports a failure.</summary>
internal readonly record struct SendReservationKey(string DuplicateKey, DateTimeOffset ReservedAt);
