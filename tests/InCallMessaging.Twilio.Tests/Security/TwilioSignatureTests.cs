using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.Twilio.Tests.Security;

public sealed class TwilioSignatureTests
{
    // Twilio's documented example (checked by the project against Twilio's own Node helper library).
    private const string Token = "12345";
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string Expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    private static readonly KeyValuePair<string, string>[] Parameters =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+12349013030"),
        new("Digits", "1234"),
        new("From", "+12349013030"),
        new("To", "+18005551212"),
    ];

    [Fact]
    public void Compute_reproduces_the_documented_vector()
    {
        Assert.Equal(Expected, TwilioSignature.Compute(Url, Parameters, Token));
    }

    [Fact]
    public void Compute_does_not_depend_on_parameter_order()
    {
        Assert.Equal(Expected, TwilioSignature.Compute(Url, Parameters.Reverse(), Token));
    }

    [Fact]
    public void IsValid_accepts_the_documented_vector()
    {
        Assert.True(TwilioSignature.IsValid(Url, Parameters, Expected, Token));
    }

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=2&bar=2")]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2&baz=3")]
    [InlineData("http://mycompany.com/myapp.php?foo=1&bar=2")]
    [InlineData("https://evil.example/myapp.php?foo=1&bar=2")]
    public void IsValid_rejects_a_tampered_url(string url)
    {
        Assert.False(TwilioSignature.IsValid(url, Parameters, Expected, Token));
    }

    [Fact]
    public void IsValid_rejects_tampered_parameters()
    {
        var changed = Parameters.Select(p => p.Key == "Digits" ? new KeyValuePair<string, string>("Digits", "1235") : p);
        var added = Parameters.Append(new("Body", "hello"));
        var removed = Parameters.Where(p => p.Key != "Caller");

        Assert.False(TwilioSignature.IsValid(Url, changed, Expected, Token));
        Assert.False(TwilioSignature.IsValid(Url, added, Expected, Token));
        Assert.False(TwilioSignature.IsValid(Url, removed, Expected, Token));
    }

    [Theory]
    [InlineData("12346")]
    [InlineData("1234")]
    [InlineData("123456")]
    public void IsValid_rejects_the_wrong_token(string token)
    {
        Assert.False(TwilioSignature.IsValid(Url, Parameters, Expected, token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("0/KCTR6DLpKmkAf8muzZqo1nDgQ")]
    [InlineData("0/KCTR6DLpKmkAf8muzZqo1nDgR=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void IsValid_rejects_malformed_or_wrong_signatures(string signature)
    {
        Assert.False(TwilioSignature.IsValid(Url, Parameters, signature, Token));
    }

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "https://mycompany.com:443/myapp.php?foo=1&bar=2")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "https://mycompany.com/myapp.php?foo=1&bar=2")]
    [InlineData("http://mycompany.com/sms", "http://mycompany.com:80/sms")]
    [InlineData("http://mycompany.com:80/sms", "http://mycompany.com/sms")]
    [InlineData("https://mycompany.com", "https://mycompany.com:443")]
    [InlineData("https://mycompany.com?x=1", "https://mycompany.com:443?x=1")]
    [InlineData("https://user@mycompany.com:443/sms", "https://user@mycompany.com/sms")]
    [InlineData("https://[2001:db8::1]/sms", "https://[2001:db8::1]:443/sms")]
    [InlineData("https://[2001:db8::1]:443/sms", "https://[2001:db8::1]/sms")]
    public void IsValid_accepts_both_port_forms(string requestUrl, string signedUrl)
    {
        var signature = TwilioSignature.Compute(signedUrl, Parameters, Token);

        Assert.True(TwilioSignature.IsValid(requestUrl, Parameters, signature, Token));
    }

    [Fact]
    public void IsValid_rejects_a_different_path_in_either_port_form()
    {
        var signature = TwilioSignature.Compute("https://mycompany.com/sms", Parameters, Token);

        Assert.False(TwilioSignature.IsValid("https://mycompany.com/other", Parameters, signature, Token));
        Assert.False(TwilioSignature.IsValid("https://mycompany.com:443/other", Parameters, signature, Token));
    }

    [Fact]
    public void Repeated_names_are_signed_with_their_values_sorted()
    {
        // As Twilio's Node, Python and PHP libraries sign them (twilio/twilio-node#722): body order does not matter.
        KeyValuePair<string, string>[] firstSecond = [new("MediaUrl", "b"), new("Body", "x"), new("MediaUrl", "a")];
        KeyValuePair<string, string>[] secondFirst = [new("MediaUrl", "a"), new("Body", "x"), new("MediaUrl", "b")];

        Assert.Equal(Reference(Url, "BodyxMediaUrlaMediaUrlb", Token), TwilioSignature.Compute(Url, firstSecond, Token));
        Assert.Equal(Reference(Url, "BodyxMediaUrlaMediaUrlb", Token), TwilioSignature.Compute(Url, secondFirst, Token));
    }

    [Fact]
    public void Names_sort_ordinally_so_upper_case_comes_first()
    {
        KeyValuePair<string, string>[] parameters = [new("body", "1"), new("Body", "2"), new("_x", "3"), new("Zed", "4")];

        Assert.Equal(Reference(Url, "Body2Zed4_x3body1", Token), TwilioSignature.Compute(Url, parameters, Token));
    }

    [Fact]
    public void Matches_a_plain_reference_implementation_on_many_parameters_and_unicode()
    {
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var parameters = Enumerable.Range(0, random.Next(0, 60))
                .Select(i => new KeyValuePair<string, string>($"P{random.Next(0, 20)}", $"välue {i} 😀 {random.Next()}"))
                .ToList();
            var url = $"https://bot.example.com/twilio/inbound?n={round}&q=ä";
            var data = string.Concat(parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => p.Key + p.Value));

            var signature = TwilioSignature.Compute(url, Lazy(parameters), "token-" + round);

            Assert.Equal(Reference(url, data, "token-" + round), signature);
            Assert.True(TwilioSignature.IsValid(url, Lazy(parameters), signature, "token-" + round));
        }
    }

    [Fact]
    public void Handles_a_large_form_and_a_long_token()
    {
        var parameters = Enumerable.Range(0, 5000).Select(i => new KeyValuePair<string, string>($"K{i % 97}", new string('v', i % 50))).ToList();
        var token = new string('t', 1000);
        var data = string.Concat(parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => p.Key + p.Value));

        var signature = TwilioSignature.Compute(Url, Lazy(parameters), token);

        Assert.Equal(Reference(Url, data, token), signature);
        Assert.True(TwilioSignature.IsValid(Url, parameters, signature, token));
    }

    [Fact]
    public void Json_body_variant_checks_signature_and_body_hash()
    {
        var body = Encoding.UTF8.GetBytes("""{"MessageSid":"SM123","MessageStatus":"delivered"}""");
        var url = "https://bot.example.com/twilio/status?bodySHA256=" + Convert.ToHexStringLower(SHA256.HashData(body));
        var signature = TwilioSignature.Compute(url, [], Token);

        Assert.True(TwilioSignature.IsValidJsonBody(url, body, signature, Token));
        Assert.False(TwilioSignature.IsValidJsonBody(url, Encoding.UTF8.GetBytes("""{"MessageSid":"SM124","MessageStatus":"delivered"}"""), signature, Token));
        Assert.False(TwilioSignature.IsValidJsonBody(url, body, signature, "wrong"));
        Assert.False(TwilioSignature.IsValidJsonBody(url + "&x=1", body, signature, Token));
    }

    [Fact]
    public void Json_body_variant_rejects_a_hash_that_does_not_match_even_when_signed()
    {
        var body = Encoding.UTF8.GetBytes("{}");
        var otherHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("{ }")));
        var url = "https://bot.example.com/twilio/status?bodySHA256=" + otherHash;
        var signature = TwilioSignature.Compute(url, [], Token);

        Assert.False(TwilioSignature.IsValidJsonBody(url, body, signature, Token));
    }

    [Theory]
    [InlineData("https://bot.example.com/twilio/status")]
    [InlineData("https://bot.example.com/twilio/status?bodySHA256=")]
    [InlineData("https://bot.example.com/twilio/status?bodySHA256=zz")]
    [InlineData("https://bot.example.com/twilio/status?xbodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")]
    public void Json_body_variant_requires_the_body_hash_parameter(string url)
    {
        var signature = TwilioSignature.Compute(url, [], Token);

        Assert.False(TwilioSignature.IsValidJsonBody(url, Encoding.UTF8.GetBytes("{}"), signature, Token));
    }

    [Fact]
    public void Json_body_variant_accepts_both_port_forms()
    {
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");
        var hash = Convert.ToHexStringLower(SHA256.HashData(body));
        var signature = TwilioSignature.Compute($"https://bot.example.com:443/hook?x=1&bodySHA256={hash}", [], Token);

        Assert.True(TwilioSignature.IsValidJsonBody($"https://bot.example.com/hook?x=1&bodySHA256={hash}", body, signature, Token));
    }

    [Fact]
    public void Empty_token_is_a_programming_error()
    {
        Assert.ThrowsAny<ArgumentException>(() => TwilioSignature.IsValid(Url, Parameters, Expected, ""));
        Assert.ThrowsAny<ArgumentException>(() => TwilioSignature.Compute(Url, Parameters, ""));
    }

#pragma warning disable CA5350 // Twilio's scheme is HMAC-SHA1.
    private static string Reference(string url, string sortedData, string token) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(url + sortedData)));
#pragma warning restore CA5350

    // An enumerable without a known count, to exercise the growing buffer.
    private static IEnumerable<KeyValuePair<string, string>> Lazy(IEnumerable<KeyValuePair<string, string>> source)
    {
        foreach (var item in source)
        {
            yield return item;
        }
    }
}
