using System.Collections.Concurrent;
using PhoneNumbers;

namespace InCallMessaging.SemanticKernel;

/// <summary>E.164 checks on recipients, done before any send (libphonenumber).</summary>
internal static class PhoneNumbers
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// Results of <see cref="TryNormalize"/> by input (null: not a valid number). libphonenumber costs microseconds and
    /// hundreds of bytes per call, and the same few numbers (callers, senders) come back on every send and every reply.
    /// Bounded: cleared when full, so hostile input cannot grow it.
    /// </summary>
    private static readonly ConcurrentDictionary<string, string?> Normalized = new(StringComparer.Ordinal);

    private const int NormalizedCapacity = 16_384;

    private const int MaxCachedLength = 40;

    private static int s_normalizedAdded;

    /// <summary>Normalizes <paramref name="candidate"/> to E.164 when it is a valid international number.</summary>
    public static bool TryNormalize(string? candidate, out string e164)
    {
        e164 = "";
        if (string.IsNullOrWhiteSpace(candidate))
        {
            return false;
        }

        if (Normalized.TryGetValue(candidate, out var cached))
        {
            e164 = cached ?? "";
            return cached is not null;
        }

        var valid = TryNormalizeUncached(candidate, out e164);
        if (candidate.Length <= MaxCachedLength)
        {
            if (Interlocked.Increment(ref s_normalizedAdded) > NormalizedCapacity)
            {
                Normalized.Clear();
                Volatile.Write(ref s_normalizedAdded, 0);
            }

            Normalized.TryAdd(candidate, valid ? e164 : null);
        }

        return valid;
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> is written as E.164 (a <c>+</c>, then up to 15 digits, the first not 0),
    /// valid or not: tells "not a valid number" apart from "not written as E.164".
    /// </summary>
    public static bool HasE164Form(string candidate)
    {
        var text = ChannelAddress.Strip(candidate);
        return text.Length is >= 3 and <= 16 && text[0] == '+' && text[1] != '0' && text.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private static bool TryNormalizeUncached(string candidate, out string e164)
    {
        e164 = "";
        var text = ChannelAddress.Strip(candidate);
        if (!text.StartsWith('+'))
        {
            return false;
        }

        try
        {
            var parsed = Util.Parse(text, null);
            if (!Util.IsValidNumber(parsed))
            {
                return false;
            }

            e164 = Util.Format(parsed, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>The country calling code and the number type of a valid E.164 number, as libphonenumber knows them.</summary>
    public static bool TryClassify(string e164, out int countryCode, out PhoneNumberType type)
    {
        countryCode = 0;
        type = PhoneNumberType.UNKNOWN;
        try
        {
            var parsed = Util.Parse(e164, null);
            countryCode = parsed.CountryCode;
            type = Util.GetNumberType(parsed);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>The country calling code of a valid E.164 number, or <see langword="null"/>.</summary>
    public static int? CountryCodeOf(string? e164) =>
        TryNormalize(e164, out var normalized) && TryClassify(normalized, out var countryCode, out _) ? countryCode : null;

    /// <summary>Whether <paramref name="countryCode"/> is a country calling code in use.</summary>
    public static bool IsCountryCode(int countryCode) => Util.GetSupportedCallingCodes().Contains(countryCode);

    /// <summary>Reads a number type's name as written in configuration (<c>PremiumRate</c>, <c>premium_rate</c>).</summary>
    public static bool TryParseNumberType(string name, out PhoneNumberType type)
    {
        var wanted = name.Replace("_", "", StringComparison.Ordinal);
        foreach (var candidate in Enum.GetValues<PhoneNumberType>())
        {
            if (string.Equals(candidate.ToString().Replace("_", "", StringComparison.Ordinal), wanted, StringComparison.OrdinalIgnoreCase))
            {
                type = candidate;
                return true;
            }
        }

        type = PhoneNumberType.UNKNOWN;
        return false;
    }

    /// <summary>Normalizes when possible, otherwise returns the address without its channel prefix.</summary>
    public static string NormalizeOrKeep(string address) =>
        TryNormalize(address, out var e164) ? e164 : ChannelAddress.Strip(address);
}
