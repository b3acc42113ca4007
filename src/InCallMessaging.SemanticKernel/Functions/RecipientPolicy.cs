using PhoneNumbers;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// Decides whether a templated recipient other than the caller may be texted (<see cref="RecipientPolicyOptions"/>):
/// its country calling code must be allowed and its number type not blocked. Built once from validated options.
/// </summary>
internal sealed class RecipientPolicy
{
    private readonly IReadOnlySet<int> _allowedCountryCodes;
    private readonly IReadOnlySet<PhoneNumberType> _blockedTypes;

    public RecipientPolicy(RecipientPolicyOptions options)
    {
        _allowedCountryCodes = new HashSet<int>(options.AllowedCountryCodes);
        var blocked = new HashSet<PhoneNumberType>();
        foreach (var name in options.BlockedNumberTypes ?? RecipientPolicyOptions.DefaultBlockedNumberTypes)
        {
            if (PhoneNumbers.TryParseNumberType(name, out var type))
            {
                blocked.Add(type);
            }
        }

        _blockedTypes = blocked;
        MaxRecipientsPerCall = options.MaxRecipientsPerCall;
    }

    public int MaxRecipientsPerCall { get; }

    /// <summary>Why <paramref name="recipient"/> may not be texted, or <see langword="null"/> when it may.</summary>
    /// <param name="recipient">The rendered recipient, E.164.</param>
    /// <param name="caller">The caller's number: always allowed, and its country is allowed by default.</param>
    /// <param name="senderNumber">The sending number, whose country is allowed by default.</param>
    public string? Check(string recipient, string caller, string? senderNumber)
    {
        if (string.Equals(recipient, caller, StringComparison.Ordinal))
        {
            return null;
        }

        if (!PhoneNumbers.TryClassify(recipient, out var countryCode, out var type))
        {
            return "it is not a valid international number";
        }

        var allowed = _allowedCountryCodes.Count > 0
            ? _allowedCountryCodes.Contains(countryCode)
            : countryCode == PhoneNumbers.CountryCodeOf(caller) || countryCode == PhoneNumbers.CountryCodeOf(senderNumber);
        if (!allowed)
        {
            return $"numbers with country code +{countryCode} may not be texted from this call";
        }

        return _blockedTypes.Contains(type) ? "that kind of number (premium-rate, shared-cost or similar) may not be texted" : null;
    }
}
