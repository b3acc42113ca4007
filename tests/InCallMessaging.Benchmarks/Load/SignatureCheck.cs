using InCallMessaging.Twilio;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>Checks the generator's in-place signing against the production validator (and Twilio's documented test vector).</summary>
internal static class SignatureCheck
{
    public static int Run()
    {
        var vector = TwilioSignature.Compute(
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            [new("CallSid", "CA1234567890ABCDE"), new("Caller", "+12349013030"), new("Digits", "1234"), new("From", "+12349013030"), new("To", "+18005551212")],
            "12345");
        var template = new SignedRequestTemplate("127.0.0.1", 5080, BenchServer.Path, Fixture.AuthToken);
        template.Fill(0xdeadbeef, 42, Fixture.Caller(7));
        var text = System.Text.Encoding.ASCII.GetString(template.Request.Span);
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var form = body.Split('&').Select(pair => pair.Split('=')).Select(kv => new KeyValuePair<string, string>(
            Uri.UnescapeDataString(kv[0].Replace('+', ' ')), Uri.UnescapeDataString(kv[1].Replace('+', ' ')))).ToList();
        var valid = TwilioSignature.IsValid("http://127.0.0.1:5080" + BenchServer.Path, form, template.Signature, Fixture.AuthToken);
        Console.WriteLine(text);
        Console.WriteLine($"Twilio test vector: {vector} (expected 0/KCTR6DLpKmkAf8muzZqo1nDgQ=); generator signature valid: {valid}");
        return valid && vector == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" ? 0 : 1;
    }
}
