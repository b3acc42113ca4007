using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.Twilio.Internal;

/// <summary>One parameter with its position, which orders fields equal in name and value (their bytes are the same either way).</summary>
internal readonly record struct SignedParameter(string Name, string Value, int Position);

/// <summary>
/// The sorted parameters encoded once into a pooled buffer, after room for the longest URL form, so each URL form
/// is written just before them and hashed without copying the parameters again.
/// </summary>
internal readonly ref struct SignedPayload
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly byte[] _buffer;
    private readonly int _urlRoom;
    private readonly int _end;

    public SignedPayload(string url, IEnumerable<KeyValuePair<string, string>> formParameters)
    {
        var parameters = Collect(formParameters, out var count);
        try
        {
            var span = parameters.AsSpan(0, count);
            // Twilio's order: names in UTF-16 ordinal order, a repeated name's values sorted the same way (as
            // FormBody.SortedIndices orders a raw body).
            span.Sort(static (left, right) =>
            {
                var byName = string.CompareOrdinal(left.Name, right.Name);
                var byValue = byName != 0 ? byName : string.CompareOrdinal(left.Value, right.Value);
                return byValue != 0 ? byValue : left.Position.CompareTo(right.Position);
            });

            var parameterBytes = 0;
            foreach (var parameter in span)
            {
                parameterBytes += Utf8.GetByteCount(parameter.Name) + Utf8.GetByteCount(parameter.Value);
            }

            // Room for the longest URL form: the given URL plus a default port of at most ":443".
            _urlRoom = Utf8.GetByteCount(url) + 4;
            _end = _urlRoom + parameterBytes;
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_end, 1));
            var position = _urlRoom;
            foreach (var parameter in span)
            {
                position += Utf8.GetBytes(parameter.Name, _buffer.AsSpan(position));
                position += Utf8.GetBytes(parameter.Value, _buffer.AsSpan(position));
            }
        }
        finally
        {
            ArrayPool<SignedParameter>.Shared.Return(parameters, clearArray: true);
        }
    }

    public SignedPayload(string url, FormBody form)
    {
        Span<int> order = form.Count <= 128 ? stackalloc int[form.Count] : new int[form.Count];
        form.SortedIndices(order);
        _urlRoom = Utf8.GetByteCount(url) + 4;
        _end = _urlRoom + form.DecodedLength;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_end, 1));
        var position = _urlRoom;
        foreach (var index in order)
        {
            var name = form.NameBytes(index);
            name.CopyTo(_buffer.AsSpan(position));
            position += name.Length;
            var value = form.ValueBytes(index);
            value.CopyTo(_buffer.AsSpan(position));
            position += value.Length;
        }
    }

    public void Hash(ReadOnlySpan<byte> key, UrlVariant url, Span<byte> destination)
    {
        var urlBytes = url.ByteCount;
        var start = _urlRoom - urlBytes;
        url.Write(_buffer.AsSpan(start, urlBytes));
#pragma warning disable CA5350 // Twilio's signature scheme is defined as HMAC-SHA1; the choice is not ours.
        HMACSHA1.HashData(key, _buffer.AsSpan(start, _end - start), destination);
#pragma warning restore CA5350
    }

    public void Hash(IncrementalHash hmac, UrlVariant url, Span<byte> destination)
    {
        var urlBytes = url.ByteCount;
        var start = _urlRoom - urlBytes;
        url.Write(_buffer.AsSpan(start, urlBytes));
        hmac.AppendData(_buffer.AsSpan(start, _end - start));
        hmac.GetHashAndReset(destination);
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

    private static SignedParameter[] Collect(IEnumerable<KeyValuePair<string, string>> source, out int count)
    {
        var parameters = ArrayPool<SignedParameter>.Shared.Rent(source.TryGetNonEnumeratedCount(out var known) ? Math.Max(known, 1) : 16);
        count = 0;
        foreach (var (name, value) in source)
        {
            if (count == parameters.Length)
            {
                var larger = ArrayPool<SignedParameter>.Shared.Rent(parameters.Length * 2);
                parameters.AsSpan().CopyTo(larger);
                ArrayPool<SignedParameter>.Shared.Return(parameters, clearArray: true);
                parameters = larger;
            }

            parameters[count] = new SignedParameter(name ?? "", value ?? "", count);
            count++;
        }

        return parameters;
    }
}
