using PhoneNumbers;

namespace InCallMessaging.SemanticKernel;

/// <summary>E.164 checks on recipients, done before any send (libphonenumber).</summary>
internal static class PhoneNumbers
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

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
