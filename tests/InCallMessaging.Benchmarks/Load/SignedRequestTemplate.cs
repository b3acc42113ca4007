using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// An inbound-SMS webhook request as Twilio sends it (form POST, the usual parameters, X-Twilio-Signature), pre-built
/// as bytes with fixed-width slots for the MessageSid (three fields carry it) and the caller's number. Each request is
/// made unique and signed in place: the slots are overwritten and the HMAC-SHA1 of the signed string (URL followed by
/// the parameters sorted by name, each name then value) is written into the header. No allocation per request.
/// </summary>
internal sealed class SignedRequestTemplate
{
    private const int SidHexLength = 32;
    private const int FromDigitsLength = 11;
    private const int SignatureLength = 28;

    private readonly byte[] _key;
    private readonly byte[] _http;
    private readonly byte[] _signed;
    private readonly int[] _httpSid = new int[3];
    private readonly int[] _signedSid = new int[3];
    private int _httpFrom;
    private int _signedFrom;
    private int _httpSignature;

    public SignedRequestTemplate(string host, int port, string path, string authToken)
    {
        _key = Encoding.UTF8.GetBytes(authToken);
        var url = $"http://{host}:{port}{path}";

        // Twilio's inbound SMS parameters (as posted; order does not matter to the signature).
        var fields = new List<(string Name, Slot Slot, string Value)>
        {
            ("ToCountry", Slot.None, "US"),
            ("ToState", Slot.None, "NY"),
            ("SmsMessageSid", Slot.Sid, ""),
            ("NumMedia", Slot.None, "0"),
            ("ToCity", Slot.None, "NEW YORK"),
            ("FromZip", Slot.None, "10001"),
            ("SmsSid", Slot.Sid, ""),
            ("FromState", Slot.None, "NY"),
            ("SmsStatus", Slot.None, "received"),
            ("FromCity", Slot.None, "NEW YORK"),
            ("Body", Slot.None, "Yes, 3pm works for me. See you then!"),
            ("FromCountry", Slot.None, "US"),
            ("To", Slot.None, Fixture.SenderNumber),
            ("ToZip", Slot.None, "10001"),
            ("NumSegments", Slot.None, "1"),
            ("MessageSid", Slot.Sid, ""),
            ("AccountSid", Slot.None, Fixture.AccountSid),
            ("From", Slot.From, ""),
            ("ApiVersion", Slot.None, "2010-04-01"),
        };

        // The signed string: URL + sorted name/value pairs, with slot offsets.
        var signed = new StringBuilder(url);
        var sidIndex = 0;
        foreach (var (name, slot, value) in fields.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            signed.Append(name);
            switch (slot)
            {
                case Slot.Sid:
                    signed.Append("SM");
                    _signedSid[sidIndex++] = signed.Length;
                    signed.Append('0', SidHexLength);
                    break;
                case Slot.From:
                    signed.Append('+');
                    _signedFrom = signed.Length;
                    signed.Append('0', FromDigitsLength);
                    break;
                default:
                    signed.Append(value);
                    break;
            }
        }

        // The form body, with slot offsets relative to the body.
        var body = new StringBuilder();
        var bodySid = new int[3];
        var bodyFrom = 0;
        sidIndex = 0;
        foreach (var (name, slot, value) in fields)
        {
            if (body.Length > 0)
            {
                body.Append('&');
            }

            body.Append(name).Append('=');
            switch (slot)
            {
                case Slot.Sid:
                    body.Append("SM");
                    bodySid[sidIndex++] = body.Length;
                    body.Append('0', SidHexLength);
                    break;
                case Slot.From:
                    body.Append("%2B");
                    bodyFrom = body.Length;
                    body.Append('0', FromDigitsLength);
                    break;
                default:
                    body.Append(FormEncode(value));
                    break;
            }
        }

        // Sid slots appear in the signed string in sorted-name order (MessageSid, SmsMessageSid, SmsSid) and in the body in
        // posting order; all three carry the same value, so the order of the offsets does not matter.
        var head = new StringBuilder()
            .Append("POST ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append(':').Append(port.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("User-Agent: TwilioProxy/1.1\r\n")
            .Append("Content-Type: application/x-www-form-urlencoded\r\n")
            .Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("X-Twilio-Signature: ");
        _httpSignature = head.Length;
        head.Append('A', SignatureLength).Append("\r\n\r\n");
        var bodyStart = head.Length;
        _http = Encoding.ASCII.GetBytes(head.Append(body).ToString());
        _signed = Encoding.UTF8.GetBytes(signed.ToString());
        for (var i = 0; i < 3; i++)
        {
            _httpSid[i] = bodyStart + bodySid[i];
        }

        _httpFrom = bodyStart + bodyFrom;
        if (Encoding.UTF8.GetByteCount(signed.ToString()) != signed.Length)
        {
            throw new InvalidOperationException("Slot offsets assume an ASCII signed string.");
        }
    }

    private enum Slot
    {
        None,
        Sid,
        From,
    }

    /// <summary>The request bytes, valid after <see cref="Fill"/>.</summary>
    public ReadOnlyMemory<byte> Request => _http;

    /// <summary>A copy with its own buffers (one per connection).</summary>
    public SignedRequestTemplate Clone() => new(this);

    private SignedRequestTemplate(SignedRequestTemplate other)
    {
        _key = other._key;
        _http = (byte[])other._http.Clone();
        _signed = (byte[])other._signed.Clone();
        _httpSid = other._httpSid;
        _signedSid = other._signedSid;
        _httpFrom = other._httpFrom;
        _signedFrom = other._signedFrom;
        _httpSignature = other._httpSignature;
    }

    /// <summary>Makes the request unique (MessageSid = SM + <paramref name="nonce"/> (8 hex) + <paramref name="sequence"/> (24 hex)) and signs it.</summary>
    public void Fill(uint nonce, long sequence, string caller)
    {
        Span<byte> hex = stackalloc byte[SidHexLength];
        Hex(nonce, hex[..8]);
        Hex((ulong)sequence, hex[8..]);
        foreach (var offset in _httpSid)
        {
            hex.CopyTo(_http.AsSpan(offset));
        }

        foreach (var offset in _signedSid)
        {
            hex.CopyTo(_signed.AsSpan(offset));
        }

        // caller is "+1212NXXXXXX": 11 digits after the '+'.
        for (var i = 0; i < FromDigitsLength; i++)
        {
            _http[_httpFrom + i] = (byte)caller[i + 1];
            _signed[_signedFrom + i] = (byte)caller[i + 1];
        }

        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // Twilio's webhook signature is HMAC-SHA1.
        HMACSHA1.HashData(_key, _signed, hash);
#pragma warning restore CA5350
        Base64.EncodeToUtf8(hash, _http.AsSpan(_httpSignature, SignatureLength), out _, out var written);
        if (written != SignatureLength)
        {
            throw new InvalidOperationException("Unexpected signature length.");
        }
    }

    /// <summary>The signed string (for a cross-check against an independent signer).</summary>
    public string SignedString => Encoding.UTF8.GetString(_signed);

    public string Signature => Encoding.ASCII.GetString(_http, _httpSignature, SignatureLength);

    /// <summary>A copy of the form body, valid after <see cref="Fill"/>.</summary>
    public byte[] Body => _http.AsSpan(_http.AsSpan().IndexOf("\r\n\r\n"u8) + 4).ToArray();

    private static void Hex(ulong value, Span<byte> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)"0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
        }
    }

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);
}
