using System.Globalization;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A message id of the common provider shape, two uppercase letters naming its kind and 32 lowercase hex digits,
/// held as a value: 18 bytes, no string. A busy host keeps one per remembered webhook and per received message; as
/// values they cost the garbage collector nothing. Which ids are valid is each provider's business, not this type's.
/// </summary>
internal readonly record struct HexMessageId(ulong High, ulong Low, ushort Type)
{
    /// <summary>The length of such an id.</summary>
    public const int Length = 34;

    /// <summary>Reads an id of this shape spelled exactly so (lowercase hex); any other spelling is not one (and stays a string).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out HexMessageId id)
    {
        id = default;
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

        id = new HexMessageId(high, low, (ushort)((text[0] << 8) | text[1]));
        return true;
    }

    /// <summary>The id as it was written.</summary>
    public override string ToString() =>
        string.Create(Length, this, static (chars, id) =>
        {
            chars[0] = (char)(id.Type >> 8);
            chars[1] = (char)(id.Type & 0xFF);
            id.High.TryFormat(chars[2..18], out _, "x16", CultureInfo.InvariantCulture);
            id.Low.TryFormat(chars[18..], out _, "x16", CultureInfo.InvariantCulture);
        });
}

/// <summary>A message id as a call keeps it: packed when it has the <see cref="HexMessageId"/> shape, the string otherwise.</summary>
internal readonly struct PackedMessageId
{
    private readonly HexMessageId _packed;
    private readonly string? _other;

    private PackedMessageId(HexMessageId packed, string? other)
    {
        _packed = packed;
        _other = other;
    }

    public static PackedMessageId From(string id) =>
        HexMessageId.TryParse(id, out var packed) ? new PackedMessageId(packed, null) : new PackedMessageId(default, id);

    public override string ToString() => _other ?? _packed.ToString();
}
