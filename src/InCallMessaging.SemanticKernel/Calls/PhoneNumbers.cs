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

    /// <summary>Strips a <c>whatsapp:</c> prefix and white space.</summary>
    public static string StripChannelPrefix(string address)
    {
        var trimmed = address.Trim();
        return trimmed.StartsWith("whatsapp:", StringComparison.OrdinalIgnoreCase) ? trimmed["whatsapp:".Length..].Trim() : trimmed;
    }

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

    private static bool TryNormalizeUncached(string candidate, out string e164)
    {
        e164 = "";
        var text = StripChannelPrefix(candidate);
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

    /// <summary>Normalizes when possible, otherwise returns the address without its channel prefix.</summary>
    public static string NormalizeOrKeep(string address) =>
        TryNormalize(address, out var e164) ? e164 : StripChannelPrefix(address);
}
