using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace InCallMessaging.Twilio.Internal;

/// <summary>
/// An <c>application/x-www-form-urlencoded</c> body decoded once: the UTF-8 bytes of every field's name and value
/// (<c>+</c> and <c>%XX</c> decoded), in body order. The signature is computed over these bytes, and strings are made
/// only for the fields that are read, so a webhook request parses its form exactly once.
/// </summary>
/// <remarks>
/// A form decoded in a pooled body belongs to the <see cref="FormLease"/> that owns the body; the lease's
/// <see cref="FormLease.Dispose"/> ends it.
/// </remarks>
internal sealed class FormBody
{
    /// <summary>The most fields a body may have (ASP.NET Core's form reader allows as many).</summary>
    public const int MaxFields = 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private Field[] _fields;
    private byte[] _decoded;

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
    /// Decodes the first <paramref name="length"/> bytes of <paramref name="body"/> in place (decoding never lengthens a
    /// field), with the field table rented from the pool. Only <see cref="FormLease"/> calls this: it owns the body, and
    /// calls <see cref="Release"/> before the body goes back to the pool.
    /// </summary>
    internal static bool TryParsePooled(byte[] body, int length, [NotNullWhen(true)] out FormBody? form, [NotNullWhen(false)] out string? problem) =>
        TryParse(body.AsSpan(0, length), body, out form, out problem, pooled: true);

    /// <summary>
    /// Returns the pooled field table and lets go of the body (<see cref="TryParsePooled"/>): the form is empty from then
    /// on, so a read after its lease ended fails instead of reading someone else's request.
    /// </summary>
    internal void Release()
    {
        if (_decoded.Length == 0 && _fields.Length == 0)
        {
            return;
        }

        var fields = _fields;
        _decoded = [];
        _fields = [];
        ArrayPool<Field>.Shared.Return(fields);
    }

    private static bool TryParse(ReadOnlySpan<byte> body, byte[] decoded, [NotNullWhen(true)] out FormBody? form, [NotNullWhen(false)] out string? problem, bool pooled = false)
    {
        // Every write lands at or before the byte being read, so decoded may be the body's own array.
        form = null;
        var fieldCount = Math.Min(body.Count((byte)'&') + 1, MaxFields + 1);
        var fields = pooled ? ArrayPool<Field>.Shared.Rent(fieldCount) : new Field[fieldCount];
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
                ReturnFields(fields, pooled);
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
            ReturnFields(fields, pooled);
            return false;
        }

        problem = null;
        form = new FormBody(decoded, fields, count);
        return true;
    }

    private static void ReturnFields(Field[] fields, bool pooled)
    {
        if (pooled)
        {
            ArrayPool<Field>.Shared.Return(fields);
        }
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
    /// The field indices in Twilio's signing order: by name, then (for a repeated name) by value, both in UTF-16 ordinal
    /// order, as Twilio's C# and Node libraries sort them (Node, Python and PHP sort a repeated name's values).
    /// </summary>
    /// <remarks>
    /// A sender posts the same fields in the same order on every request, so the order found last on this thread is kept
    /// with the names it was found for, and reused when this body's names are the same, in the same order. A form with a
    /// repeated name is not kept: its order depends on the values too.
    /// </remarks>
    public void SortedIndices(Span<int> destination)
    {
        if (Count > 64)
        {
            SortLarge(destination);
            return;
        }

        var cache = t_lastOrder ??= new SortOrderCache();
        if (cache.TryCopy(this, destination))
        {
            return;
        }

        // Insertion sort: stable, no allocation, and webhook forms have about twenty fields. Names are compared by
        // their first eight bytes as one big-endian number first, in full only when those are equal.
        Span<ulong> prefixes = stackalloc ulong[Count];
        var repeated = false;
        for (var i = 0; i < Count; i++)
        {
            prefixes[i] = Prefix(NameBytes(i));
            var j = i;
            while (j > 0 && Compare(destination[j - 1], i, prefixes, ref repeated) > 0)
            {
                destination[j] = destination[j - 1];
                j--;
            }

            destination[j] = i;
        }

        if (!repeated)
        {
            cache.Store(this, destination);
        }
    }

    [ThreadStatic]
    private static SortOrderCache? t_lastOrder;

    private int Compare(int left, int right, ReadOnlySpan<ulong> prefixes, ref bool repeated)
    {
        if (prefixes[left] != prefixes[right])
        {
            return CompareFirstDifference(prefixes[left], prefixes[right]);
        }

        var byName = CompareUtf16Ordinal(NameBytes(left), NameBytes(right));
        if (byName != 0)
        {
            return byName;
        }

        repeated = true;
        return CompareUtf16Ordinal(ValueBytes(left), ValueBytes(right));
    }

    /// <summary>
    /// Compares two UTF-8 strings in the order of their UTF-16 code units (<see cref="string.CompareOrdinal(string, string)"/>).
    /// </summary>
    /// <remarks>
    /// UTF-8 bytes sort by code point, and so does UTF-16 except that U+E000..U+FFFF (lead bytes <c>EE</c>, <c>EF</c>) sort
    /// after the surrogate pairs of U+10000 and above (lead bytes <c>F0</c>..<c>F4</c>). Both strings are valid UTF-8 and
    /// share every byte before the first difference, so that difference is either inside one character (same order
    /// either way) or between two lead bytes, the only place the orders part.
    /// </remarks>
    internal static int CompareUtf16Ordinal(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var common = left.CommonPrefixLength(right);
        return common == left.Length || common == right.Length
            ? left.Length.CompareTo(right.Length)
            : CompareLeadBytes(left[common], right[common]);
    }

    /// <summary>Compares two big-endian name prefixes that differ by their first differing byte, as <see cref="CompareUtf16Ordinal"/> does.</summary>
    private static int CompareFirstDifference(ulong left, ulong right)
    {
        var shift = 56 - (System.Numerics.BitOperations.LeadingZeroCount(left ^ right) & ~7);
        return CompareLeadBytes((byte)(left >> shift), (byte)(right >> shift));
    }

    private static int CompareLeadBytes(byte left, byte right) =>
        left >= 0xEE && right >= 0xEE && (left >= 0xF0) != (right >= 0xF0)
            ? (left >= 0xF0 ? -1 : 1)
            : left.CompareTo(right);

    private static ulong Prefix(ReadOnlySpan<byte> name)
    {
        if (name.Length >= sizeof(ulong))
        {
            return BinaryPrimitives.ReadUInt64BigEndian(name);
        }

        ulong prefix = 0;
        for (var i = 0; i < sizeof(ulong); i++)
        {
            prefix = (prefix << 8) | (i < name.Length ? name[i] : 0UL);
        }

        return prefix;
    }

    private void SortLarge(Span<int> destination)
    {
        var all = new int[Count];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }

        // Array.Sort is not stable: equal fields are ordered by index, though their bytes are the same either way.
        Array.Sort(all, (left, right) =>
        {
            var byName = CompareUtf16Ordinal(NameBytes(left), NameBytes(right));
            var byValue = byName != 0 ? byName : CompareUtf16Ordinal(ValueBytes(left), ValueBytes(right));
            return byValue != 0 ? byValue : left.CompareTo(right);
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

    /// <summary>The field names (in body order) of the last form sorted on a thread, and the signing order found for them.</summary>
    private sealed class SortOrderCache
    {
        private byte[] _names = new byte[512];
        private int[] _nameEnds = new int[32];
        private int[] _order = new int[32];
        private int _count = -1;

        public bool TryCopy(FormBody form, Span<int> destination)
        {
            if (form.Count != _count)
            {
                return false;
            }

            var start = 0;
            for (var i = 0; i < _count; i++)
            {
                if (!form.NameBytes(i).SequenceEqual(_names.AsSpan(start, _nameEnds[i] - start)))
                {
                    return false;
                }

                start = _nameEnds[i];
            }

            _order.AsSpan(0, _count).CopyTo(destination);
            return true;
        }

        public void Store(FormBody form, ReadOnlySpan<int> order)
        {
            _count = -1;
            var length = 0;
            for (var i = 0; i < form.Count; i++)
            {
                length += form._fields[i].NameLength;
            }

            if (length > _names.Length)
            {
                _names = new byte[length];
            }

            if (form.Count > _order.Length)
            {
                _nameEnds = new int[form.Count];
                _order = new int[form.Count];
            }

            var end = 0;
            for (var i = 0; i < form.Count; i++)
            {
                var name = form.NameBytes(i);
                name.CopyTo(_names.AsSpan(end));
                end += name.Length;
                _nameEnds[i] = end;
            }

            order.CopyTo(_order);
            _count = form.Count;
        }
    }

    /// <summary>One field: its name is <c>[NameStart, ValueStart)</c> and its value <c>[ValueStart, End)</c> of the decoded bytes.</summary>
    private readonly record struct Field(int NameStart, int ValueStart, int End)
    {
        public int NameLength => ValueStart - NameStart;

        public int ValueLength => End - ValueStart;
    }
}
