using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TwilioRequestValidator = global::Twilio.Security.RequestValidator;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.Twilio.Tests.Security;

/// <summary>
/// A differential run against Twilio's own C# library (<c>Twilio.Security.RequestValidator</c>), restricted to what that
/// library gets right (TWILIO.md): https URLs signed exactly as requested, without an explicit default port, and forms
/// whose names are unique even ignoring case. Every case is signed by a plain reference computation, and this project's
/// two entry points and Twilio's validator must all accept it and all reject a tampered one.
/// </summary>
public sealed class TwilioLibraryAgreementTests
{
    private const int Cases = 5000;

    private static readonly string[] Tlds = ["com", "io", "app", "example"];

    // Path and query characters kept as they are, and non-ASCII text already percent-encoded (upper or lower hex).
    private const string UrlSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";
    private static readonly string[] UrlEncoded = ["%C3%A9", "%c3%a9", "%E2%9C%93", "%F0%9F%98%80", "%20", "%2B", "%26", "%3D", "%2F"];

    // Field text: ASCII, some two- and three-byte characters, the top of the BMP (which UTF-16 sorts after surrogate
    // pairs) and astral characters (which it sorts before them).
    private static readonly string[] FieldPieces =
    [
        "\u00E9", "\u00DF", "\u4E2D", "\u2713", "\uE000", "\uF8FF", "\uFF21", "\uFFFD", "\U0001F600", "\U0001F44D", "\U00010000",
        "\U0010FFFD", "\u0800",
    ];

    [Fact]
    public void This_projects_validators_agree_with_Twilios_RequestValidator_on_random_urls_and_forms()
    {
        var random = new Random(20261129);
        var astralBeforeHighBmp = 0;
        for (var i = 0; i < Cases; i++)
        {
            var token = RandomToken(random);
            var url = RandomUrl(random);
            var fields = RandomForm(random);
            var body = Encoding.ASCII.GetBytes(FormEncode(fields, random));
            var dictionary = fields.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
            var oracle = new TwilioRequestValidator(token);
            var context = $"case {i}: {url} {FormEncode(fields, new Random(0))}";
            astralBeforeHighBmp += CountAstralVersusHighBmpNames(fields);

            var signature = Reference(url, fields, token);

            Assert.True(signature == TwilioSignature.Compute(url, Shuffled(fields, random), token), context);
            Assert.True(TwilioSignature.IsValid(url, Shuffled(fields, random), signature, token), context);
            Assert.True(TwilioSignature.IsValidFormBody(url, body, signature, token), context);
            Assert.True(oracle.Validate(url, dictionary, signature), context);

            var tampered = Tamper(signature, random);
            Assert.False(TwilioSignature.IsValid(url, fields, tampered, token), context);
            Assert.False(TwilioSignature.IsValidFormBody(url, body, tampered, token), context);
            Assert.False(oracle.Validate(url, dictionary, tampered), context);

            // A signature of some other request: the three must agree (and all say no).
            var other = random.Next(3) switch
            {
                0 => Reference(url + "x", fields, token),
                1 => Reference(url, [.. fields, new("Extra", "1")], token),
                _ => Reference(url, fields, token + "x"),
            };
            var ours = TwilioSignature.IsValid(url, fields, other, token);
            Assert.Equal(ours, TwilioSignature.IsValidFormBody(url, body, other, token));
            Assert.Equal(ours, oracle.Validate(url, dictionary, other));
            Assert.False(ours, context);
        }

        // The cases include the names whose order UTF-8 and UTF-16 disagree on.
        Assert.True(astralBeforeHighBmp > 100, $"only {astralBeforeHighBmp} name pairs where UTF-16 and code point order differ");
    }

    private static string RandomToken(Random random) =>
        Convert.ToHexStringLower(RandomBytes(random, 16));

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomUrl(Random random)
    {
        var url = new StringBuilder("https://");
        var labels = random.Next(1, 4);
        for (var i = 0; i < labels; i++)
        {
            var label = new char[random.Next(1, 13)];
            for (var c = 0; c < label.Length; c++)
            {
                label[c] = "abcdefghijklmnopqrstuvwxyz0123456789"[random.Next(36)];
            }

            url.Append(label).Append('.');
        }

        url.Append(Tlds[random.Next(Tlds.Length)]);
        if (random.Next(10) == 0)
        {
            // An explicit port, never the scheme's default one.
            url.Append(':').Append(random.Next(1024, 65536).ToString(CultureInfo.InvariantCulture));
        }

        var segments = random.Next(0, 5);
        for (var i = 0; i < segments; i++)
        {
            url.Append('/').Append(UrlText(random, 1, 12));
        }

        if (segments == 0 || random.Next(2) == 0)
        {
            url.Append('/');
        }

        if (random.Next(2) == 0)
        {
            var pairs = random.Next(1, 5);
            for (var i = 0; i < pairs; i++)
            {
                url.Append(i == 0 ? '?' : '&').Append(UrlText(random, 1, 8)).Append('=').Append(UrlText(random, 0, 16));
            }
        }

        return url.ToString();
    }

    private static string UrlText(Random random, int min, int max)
    {
        var text = new StringBuilder();
        var length = random.Next(min, max + 1);
        for (var i = 0; i < length; i++)
        {
            if (random.Next(8) == 0)
            {
                text.Append(UrlEncoded[random.Next(UrlEncoded.Length)]);
            }
            else
            {
                text.Append(UrlSafe[random.Next(UrlSafe.Length)]);
            }
        }

        // "." and ".." segments are rewritten by URL parsers; Twilio signs what it requested.
        return text.ToString().Trim('.') is { Length: > 0 } trimmed ? trimmed : "p";
    }

    private static List<KeyValuePair<string, string>> RandomForm(Random random)
    {
        var count = random.Next(0, 26);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var fields = new List<KeyValuePair<string, string>>(count);
        while (fields.Count < count)
        {
            // Names often share a stem, so that they differ late, after the first eight bytes, too.
            var name = (random.Next(3) == 0 ? "Param" : "") + FieldText(random, 1, 10);
            if (names.Add(name) && !fields.Any(f => string.Equals(f.Key, name, StringComparison.InvariantCultureIgnoreCase)))
            {
                fields.Add(new(name, FieldText(random, 0, 40)));
            }
        }

        return fields;
    }

    private static string FieldText(Random random, int min, int max)
    {
        var text = new StringBuilder();
        var length = random.Next(min, max + 1);
        for (var i = 0; i < length; i++)
        {
            if (random.Next(4) == 0)
            {
                text.Append(FieldPieces[random.Next(FieldPieces.Length)]);
            }
            else
            {
                text.Append((char)random.Next(0x20, 0x7F));
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// <c>application/x-www-form-urlencoded</c> as a sender writes it: unreserved characters as they are, a space as
    /// <c>+</c> or <c>%20</c>, every other UTF-8 byte as <c>%XX</c> in either hex case.
    /// </summary>
    private static string FormEncode(IEnumerable<KeyValuePair<string, string>> fields, Random random) =>
        string.Join("&", fields.Select(f => Encode(f.Key, random) + "=" + Encode(f.Value, random)));

    private static string Encode(string text, Random random)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else if (b == ' ' && random.Next(2) == 0)
            {
                encoded.Append('+');
            }
            else
            {
                encoded.Append('%').Append(b.ToString(random.Next(2) == 0 ? "X2" : "x2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static List<KeyValuePair<string, string>> Shuffled(List<KeyValuePair<string, string>> fields, Random random)
    {
        var copy = fields.ToArray();
        random.Shuffle(copy);
        return [.. copy];
    }

    private static string Tamper(string signature, Random random)
    {
        const string base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var chars = signature.ToCharArray();
        var index = random.Next(chars.Length - 1); // the last character is padding
        chars[index] = base64[(base64.IndexOf(chars[index], StringComparison.Ordinal) + random.Next(1, 64)) % 64];
        return new string(chars);
    }

    private static int CountAstralVersusHighBmpNames(List<KeyValuePair<string, string>> fields)
    {
        var count = 0;
        foreach (var left in fields)
        {
            foreach (var right in fields)
            {
                var utf16 = Math.Sign(string.CompareOrdinal(left.Key, right.Key));
                var codePoints = Math.Sign(Encoding.UTF8.GetBytes(left.Key).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(right.Key)));
                count += utf16 < 0 && codePoints > 0 ? 1 : 0;
            }
        }

        return count;
    }

    /// <summary>Twilio's algorithm, written plainly: URL, then each name and value in UTF-16 ordinal name order; HMAC-SHA1.</summary>
    private static string Reference(string url, IEnumerable<KeyValuePair<string, string>> fields, string token)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

#pragma warning disable CA5350 // Twilio's scheme is HMAC-SHA1.
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }
}
