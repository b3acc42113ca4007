using System.Globalization;

namespace InCallMessaging.SemanticKernel.Replies;

/// <summary>
/// A Twilio SID (two uppercase letters and 32 lowercase hex digits, such as <c>SM</c> + 32 hex) held as a value: 18
/// bytes, no string. A busy host keeps one per remembered webhook and per received message; as values they cost the
/// garbage collector nothing.
/// </summary>
internal readonly record struct TwilioSid(ulong High, ulong Low, ushort Type)
{
    /// <summary>The length of a SID.</summary>
    public const int Length = 34;

    /// <summary>Reads a SID spelled exactly as Twilio spells it; any other spelling is not one (and stays a string).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out TwilioSid sid)
    {
        sid = default;
        if (text.Length != Length || !char.IsAsciiLetterUpper(text[0]) || !char.IsAsciiLetterUpper(text[1]))
        {
            return false;
        }

        var hex = text[2..];
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        if (!ulong.TryParse(hex[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !ulong.TryParse(hex[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        sid = new TwilioSid(high, low, (ushort)((text[0] << 8) | text[1]));
        return true;
    }

    /// <summary>The SID as Twilio spells it.</summary>
    public override string ToString() =>
        string.Create(Length, this, static (chars, sid) =>
        {
            chars[0] = (char)(sid.Type >> 8);
            chars[1] = (char)(sid.Type & 0xFF);
            sid.High.TryFormat(chars[2..18], out _, "x16", CultureInfo.InvariantCulture);
            sid.Low.TryFormat(chars[18..], out _, "x16", CultureInfo.InvariantCulture);
        });
}

/// <summary>A message id as a call keeps it: packed when it is a Twilio SID, the string otherwise.</summary>
internal readonly struct PackedMessageId
{
    private readonly TwilioSid _sid;
    private readonly string? _other;

    private PackedMessageId(TwilioSid sid, string? other)
    {
        _sid = sid;
        _other = other;
    }

    public static PackedMessageId From(string id) =>
        TwilioSid.TryParse(id, out var sid) ? new PackedMessageId(sid, null) : new PackedMessageId(default, id);

    public override string ToString() => _other ?? _sid.ToString();
}
