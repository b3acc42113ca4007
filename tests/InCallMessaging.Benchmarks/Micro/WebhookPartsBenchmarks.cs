using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using InCallMessaging.Benchmarks.Load;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.WebUtilities;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// The pieces of the webhook's work on one inbound SMS (19 form fields, 444 bytes), to explain
/// <see cref="WebhookEndpointBenchmarks"/>: form parsing two ways, the production signature check, and the HMAC-SHA1
/// underneath it: one-shot, with a reused keyed hash (what the validator does), and built by hand (RFC 2104) over
/// OpenSSL's plain SHA-1, to see whether OpenSSL's per-call overhead can be avoided from .NET.
/// </summary>
[Config(typeof(SteadyStateConfig))]
public class WebhookPartsBenchmarks
{
    private const string Url = "http://127.0.0.1:5080" + BenchServer.Path;
    private byte[] _body = null!;
    private byte[] _signed = null!;
    private byte[] _key = null!;
    private string _signature = null!;
    private List<KeyValuePair<string, string>> _pairs = null!;
    private IncrementalHash _reused = null!;
    private IncrementalHash _sha1 = null!;
    private byte[] _innerInput = null!;
    private byte[] _innerPad = null!;
    private byte[] _outerPad = null!;
    private FormBody _form = null!;

    [GlobalSetup]
    public void Setup()
    {
        var template = new SignedRequestTemplate("127.0.0.1", 5080, BenchServer.Path, Fixture.AuthToken);
        template.Fill(0xc0ffee, 1, Fixture.Caller(1));
        _body = template.Body;
        _signed = Encoding.UTF8.GetBytes(template.SignedString);
        _signature = template.Signature;
        _key = Encoding.UTF8.GetBytes(Fixture.AuthToken);
        _pairs = [.. new FormReader(Encoding.UTF8.GetString(_body)).ReadForm().Select(f => new KeyValuePair<string, string>(f.Key, f.Value.ToString()))];
        _reused = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, _key);
#pragma warning disable CA5350 // Twilio's algorithm.
        _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
        _innerPad = new byte[64];
        _outerPad = new byte[64];
        for (var i = 0; i < 64; i++)
        {
            var keyByte = i < _key.Length ? _key[i] : (byte)0;
            _innerPad[i] = (byte)(keyByte ^ 0x36);
            _outerPad[i] = (byte)(keyByte ^ 0x5c);
        }

        _innerInput = [.. _innerPad, .. _signed];
        _ = FormBody.TryParse(_body, out var form, out _);
        _form = form!;
        if (!SignatureCheck() || !SignatureCheckFormBody() || !SignatureCheckRawBody())
        {
            throw new InvalidOperationException("Signature set-up is wrong.");
        }

        Span<byte> expected = stackalloc byte[20];
        Span<byte> byHand = stackalloc byte[20];
#pragma warning disable CA5350
        HMACSHA1.HashData(_key, _signed, expected);
#pragma warning restore CA5350
        HandMadeOneShot(byHand);
        var oneShotMatches = byHand.SequenceEqual(expected);
        HandMadeIncremental(byHand);
        if (!oneShotMatches || !byHand.SequenceEqual(expected))
        {
            throw new InvalidOperationException("The hand-made HMAC does not match HMACSHA1.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reused.Dispose();
        _sha1.Dispose();
    }

    [Benchmark(Description = "form: FormReader over the UTF-16 string of the body")]
    public int FormFromString()
    {
        using var reader = new FormReader(Encoding.UTF8.GetString(_body));
        return reader.ReadForm().Count;
    }

    [Benchmark(Description = "form: FormPipeReader over the UTF-8 bytes")]
    public int FormFromBytes() =>
        new FormPipeReader(PipeReader.Create(new ReadOnlySequence<byte>(_body))).ReadFormAsync().GetAwaiter().GetResult().Count;

    [Benchmark(Description = "form: FormBody.TryParse (the webhook's one decoding)")]
    public int FormBodyDecode() => FormBody.TryParse(_body, out var form, out _) ? form.Count : -1;

    [Benchmark(Description = "TwilioSignature.IsValid over name/value pairs (sort, encode, HMAC-SHA1, compare)")]
    public bool SignatureCheck() => TwilioSignature.IsValid(Url, _pairs, _signature, Fixture.AuthToken);

    [Benchmark(Description = "TwilioSignature.IsValid over a decoded FormBody (what the webhook runs)")]
    public bool SignatureCheckFormBody() => TwilioSignature.IsValid(Url, _form, _signature, Fixture.AuthToken);

    [Benchmark(Description = "TwilioSignature.IsValidFormBody: decode + check from the raw body")]
    public bool SignatureCheckRawBody() => TwilioSignature.IsValidFormBody(Url, _body, _signature, Fixture.AuthToken);

    [Benchmark(Description = "HMACSHA1.HashData one-shot (~600 B)")]
    public byte OneShotHmac()
    {
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // Twilio's algorithm.
        HMACSHA1.HashData(_key, _signed, hash);
#pragma warning restore CA5350
        return hash[0];
    }

    [Benchmark(Description = "IncrementalHash HMAC-SHA1, keyed once, reused")]
    public byte ReusedHmac()
    {
        Span<byte> hash = stackalloc byte[20];
        _reused.AppendData(_signed);
        _reused.GetHashAndReset(hash);
        return hash[0];
    }

    [Benchmark(Description = "HMAC-SHA1 by hand: SHA1.HashData one-shot, twice")]
    public byte HandMadeOneShotHmac()
    {
        Span<byte> hash = stackalloc byte[20];
        HandMadeOneShot(hash);
        return hash[0];
    }

    [Benchmark(Description = "HMAC-SHA1 by hand: IncrementalHash SHA-1, reused")]
    public byte HandMadeIncrementalHmac()
    {
        Span<byte> hash = stackalloc byte[20];
        HandMadeIncremental(hash);
        return hash[0];
    }

    /// <summary>SHA-1(outer pad + SHA-1(inner pad + message)), each SHA-1 one-shot.</summary>
    private void HandMadeOneShot(Span<byte> destination)
    {
        Span<byte> outer = stackalloc byte[64 + 20];
        _outerPad.CopyTo(outer);
#pragma warning disable CA5350
        SHA1.HashData(_innerInput, outer[64..]);
        SHA1.HashData(outer, destination);
#pragma warning restore CA5350
    }

    /// <summary>The same with one reused SHA-1 context.</summary>
    private void HandMadeIncremental(Span<byte> destination)
    {
        Span<byte> inner = stackalloc byte[20];
        _sha1.AppendData(_innerPad);
        _sha1.AppendData(_signed);
        _sha1.GetHashAndReset(inner);
        _sha1.AppendData(_outerPad);
        _sha1.AppendData(inner);
        _sha1.GetHashAndReset(destination);
    }
}
