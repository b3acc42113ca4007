using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace InCallMessaging.Twilio;

/// <summary>
/// An <c>application/x-www-form-urlencoded</c> body decoded once: the UTF-8 bytes of every field's name and value
/// (<c>+</c> and <c>%XX</c> decoded), in body order. The signature is computed over these bytes, and strings are made
/// only for the fields that are read, so a webhook request parses its form exactly once.
/// </summary>
internal sealed class FormBody
{
    /// <summary>The most fields a body may have (ASP.NET Core's form reader allows as many).</summary>
    public const int MaxFields = 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly byte[] _decoded;
    private readonly Field[] _fields;

    private FormBody(byte[] decoded, Field[] fields, int count)
    {
        _decoded = decoded;
        _fields = fields;
        Count = count;
    }

    /// <summary>How many fields the body has (a repeated name counts once per occurrence).</summary>
    public int Count { get; }

    /// <summary>The total length of all decoded names and values.</summary>
    public int DecodedLength => Count == 0 ? 0 : _fields[Count - 1].End;

    /// <summary>
    /// Decodes <paramref name="body"/>. Empty segments (<c>a=1&amp;&amp;b=2</c>) are skipped; a segment without <c>=</c>
    /// is a name with an empty value; a <c>%</c> not followed by two hex digits is kept as it is.
    /// </summary>
    /// <returns><see langword="false"/> with <paramref name="problem"/> when a name or value is not UTF-8, or there are too many fields.</returns>
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out FormBody? form, [NotNullWhen(false)] out string? problem) =>
        TryParse(body, new byte[body.Length], out form, out problem);

    /// <summary>
    /// The same as <see cref="TryParse(ReadOnlySpan{byte}, out FormBody?, out string?)"/>, decoding into
    /// <paramref name="body"/> itself (decoding never lengthens a field): for a body nothing else will read.
    /// </summary>
    public static bool TryParseInPlace(byte[] body, [NotNullWhen(true)] out FormBody? form, [NotNullWhen(false)] out string? problem) =>
        TryParse(body, body, out form, out problem);

    private static bool TryParse(ReadOnlySpan<byte> body, byte[] decoded, [NotNullWhen(true)] out FormBody? form, [NotNullWhen(false)] out string? problem)
    {
        // Every write lands at or before the byte being read, so decoded may be the body's own array.
        form = null;
        var fields = new Field[Math.Min(body.Count((byte)'&') + 1, MaxFields + 1)];
        var count = 0;
        var written = 0;
        while (!body.IsEmpty)
        {
            var end = body.IndexOf((byte)'&');
            var segment = end < 0 ? body : body[..end];
            body = end < 0 ? [] : body[(end + 1)..];
            if (segment.IsEmpty)
            {
                continue;
            }

            if (count == MaxFields)
            {
                problem = $"The form body has more than {MaxFields} fields.";
                return false;
            }

            var equals = segment.IndexOf((byte)'=');
            var nameStart = written;
            written += Decode(equals < 0 ? segment : segment[..equals], decoded.AsSpan(written));
            var valueStart = written;
            written += equals < 0 ? 0 : Decode(segment[(equals + 1)..], decoded.AsSpan(written));
            fields[count++] = new Field(nameStart, valueStart, written);
        }

        if (FirstNonUtf8Field(decoded.AsSpan(0, written), fields.AsSpan(0, count)) is var bad and >= 0)
        {
            problem = "The form body is not UTF-8 once decoded (field " + (bad + 1) + ").";
            return false;
        }

        problem = null;
        form = new FormBody(decoded, fields, count);
        return true;
    }

    /// <summary>
    /// The index of the first field whose name or value is not UTF-8, or -1. One pass over all the decoded bytes: when
    /// they are valid together, a part is invalid alone only if it starts inside a character (a continuation byte).
    /// </summary>
    private static int FirstNonUtf8Field(ReadOnlySpan<byte> decoded, ReadOnlySpan<Field> fields)
    {
        if (System.Text.Ascii.IsValid(decoded))
        {
            return -1;
        }

        var whole = System.Text.Unicode.Utf8.IsValid(decoded);
        for (var i = 0; i < fields.Length; i++)
        {
            var name = decoded[fields[i].NameStart..fields[i].ValueStart];
            var value = decoded[fields[i].ValueStart..fields[i].End];
            var valid = whole
                ? !StartsInsideCharacter(name) && !StartsInsideCharacter(value)
                : System.Text.Unicode.Utf8.IsValid(name) && System.Text.Unicode.Utf8.IsValid(value);
            if (!valid)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool StartsInsideCharacter(ReadOnlySpan<byte> part) => !part.IsEmpty && (part[0] & 0xC0) == 0x80;

    /// <summary>The decoded UTF-8 bytes of field <paramref name="index"/>'s name.</summary>
    public ReadOnlySpan<byte> NameBytes(int index) => _decoded.AsSpan(_fields[index].NameStart, _fields[index].NameLength);

    /// <summary>The decoded UTF-8 bytes of field <paramref name="index"/>'s value.</summary>
    public ReadOnlySpan<byte> ValueBytes(int index) => _decoded.AsSpan(_fields[index].ValueStart, _fields[index].ValueLength);

    /// <summary>Field <paramref name="index"/>'s name.</summary>
    public string Name(int index) => Utf8.GetString(NameBytes(index));

    /// <summary>Field <paramref name="index"/>'s value.</summary>
    public string Value(int index) => Utf8.GetString(ValueBytes(index));

    /// <summary>The index of the first field named <paramref name="name"/> (ASCII, case ignored as ASP.NET Core's form does), or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(NameBytes(i), name))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether a field named <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>The first value of <paramref name="name"/>, or <see langword="null"/> when the field is absent.</summary>
    public string? this[string name] => IndexOf(name) is var index and >= 0 ? Value(index) : null;

    /// <summary>Every field as a name/value pair, in body order.</summary>
    public IEnumerable<KeyValuePair<string, string>> Pairs()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return new KeyValuePair<string, string>(Name(i), Value(i));
        }
    }

    /// <summary>
    /// The field indices in Twilio's signing order: by name, comparing UTF-8 bytes (code-point order), repeated names in
    /// body order.
    /// </summary>
    public void SortedIndices(Span<int> destination)
    {
        if (Count > 64)
        {
            SortLarge(destination);
            return;
        }

        // Insertion sort: stable, no allocation, and webhook forms have about twenty fields. Names are compared by
        // their first eight bytes as one big-endian number first, in full only when those are equal.
        Span<ulong> prefixes = stackalloc ulong[Count];
        for (var i = 0; i < Count; i++)
        {
            prefixes[i] = Prefix(NameBytes(i));
            var j = i;
            while (j > 0 && Compare(destination[j - 1], i, prefixes) > 0)
            {
                destination[j] = destination[j - 1];
                j--;
            }

            destination[j] = i;
        }
    }

    private int Compare(int left, int right, ReadOnlySpan<ulong> prefixes) =>
        prefixes[left] != prefixes[right]
            ? prefixes[left].CompareTo(prefixes[right])
            : NameBytes(left).SequenceCompareTo(NameBytes(right));

    private static ulong Prefix(ReadOnlySpan<byte> name)
    {
        Span<byte> first = stackalloc byte[sizeof(ulong)];
        first.Clear();
        name[..Math.Min(name.Length, first.Length)].CopyTo(first);
        return BinaryPrimitives.ReadUInt64BigEndian(first);
    }

    private void SortLarge(Span<int> destination)
    {
        var all = new int[Count];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }

        // Ties by index keep repeated names in body order.
        Array.Sort(all, (left, right) =>
        {
            var byName = NameBytes(left).SequenceCompareTo(NameBytes(right));
            return byName != 0 ? byName : left.CompareTo(right);
        });
        all.CopyTo(destination);
    }

    /// <summary>Decodes <c>+</c> and <c>%XX</c> into <paramref name="destination"/>; returns the bytes written.</summary>
    private static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var next = source.IndexOfAny((byte)'%', (byte)'+');
        if (next < 0)
        {
            source.CopyTo(destination);
            return source.Length;
        }

        source[..next].CopyTo(destination);
        var written = next;
        for (var i = next; i < source.Length; i++)
        {
            var b = source[i];
            if (b == '+')
            {
                b = (byte)' ';
            }
            else if (b == '%' && i + 2 < source.Length && IsHex(source[i + 1]) && IsHex(source[i + 2]))
            {
                b = (byte)((HexValue(source[i + 1]) << 4) | HexValue(source[i + 2]));
                i += 2;
            }

            destination[written++] = b;
        }

        return written;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>One field: its name is <c>[NameStart, ValueStart)</c> and its value <c>[ValueStart, End)</c> of the decoded bytes.</summary>
    private readonly record struct Field(int NameStart, int ValueStart, int End)
    {
        public int NameLength => ValueStart - NameStart;

        public int ValueLength => End - ValueStart;
    }
}
