using System.Diagnostics.CodeAnalysis;

namespace InCallMessaging.Twilio.Internal;

/// <summary>
/// A form decoded in place in a pooled request body, and the owner of that body: whoever holds the lease disposes it,
/// which wipes the body and returns it (and the form's field table) to the pool. The form must not be read afterwards.
/// </summary>
internal sealed class FormLease : IDisposable
{
    private byte[]? _body;
    private readonly int _length;

    private FormLease(byte[] body, int length, FormBody form)
    {
        _body = body;
        _length = length;
        Form = form;
    }

    /// <summary>The decoded form; valid until the lease is disposed.</summary>
    public FormBody Form { get; }

    /// <summary>
    /// Decodes the first <paramref name="length"/> bytes of <paramref name="body"/>, an array from
    /// <see cref="BodyPool.Rent"/>, in place. The lease owns the array from then on; when decoding fails there is no
    /// lease, and the array is wiped and returned at once.
    /// </summary>
    /// <returns><see langword="false"/> with <paramref name="problem"/> when the body is not a UTF-8 form (see <see cref="FormBody.TryParse(ReadOnlySpan{byte}, out FormBody?, out string?)"/>).</returns>
    public static bool TryDecode(byte[] body, int length, [NotNullWhen(true)] out FormLease? lease, [NotNullWhen(false)] out string? problem)
    {
        if (FormBody.TryParsePooled(body, length, out var form, out problem))
        {
            lease = new FormLease(body, length, form);
            return true;
        }

        BodyPool.Return(body, length);
        lease = null;
        return false;
    }

    /// <summary>Ends the form, wipes the body and returns both to the pool; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_body is not { } body)
        {
            return;
        }

        _body = null;
        Form.Release();
        BodyPool.Return(body, _length);
    }
}
