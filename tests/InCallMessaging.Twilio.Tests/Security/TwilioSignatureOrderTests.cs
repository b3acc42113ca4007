using System.Security.Cryptography;
using System.Text;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.Twilio.Tests.Security;

/// <summary>
/// The order Twilio signs form fields in, through both entry points (name/value pairs and the raw body): names in UTF-16
/// ordinal order as Twilio's C# and Node libraries sort them, and a repeated name's values sorted the same way, as
/// Twilio's Node, Python and PHP libraries sign them (twilio/twilio-node#722).
/// </summary>
public sealed class TwilioSignatureOrderTests
{
    private const string Token = "12345";
    private const string Url = "https://bot.example.com/twilio/messages";

    // U+1F600 is a surrogate pair (D83D DE00) in UTF-16 and F0 9F 98 80 in UTF-8; U+FF21 is FF21 and EF BC A1. UTF-16
    // ordinal order puts the astral character first; UTF-8 byte (code point) order puts it last.
    private const string Astral = "\U0001F600";
    private const string HighBmp = "\uFF21";

    [Fact]
    public void Two_To_fields_in_body_order_b_a_are_signed_as_a_b()
    {
        KeyValuePair<string, string>[] fields = [new("To", "+15005550002"), new("Body", "hi"), new("To", "+15005550001")];
        const string body = "To=%2B15005550002&Body=hi&To=%2B15005550001";
        var signature = Reference(Url, "BodyhiTo+15005550001To+15005550002");

        Assert.Equal(signature, TwilioSignature.Compute(Url, fields, Token));
        Assert.True(TwilioSignature.IsValid(Url, fields, signature, Token));
        Assert.True(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body), signature, Token));

        // Body order is no longer what is signed.
        var bodyOrder = Reference(Url, "BodyhiTo+15005550002To+15005550001");
        Assert.False(TwilioSignature.IsValid(Url, fields, bodyOrder, Token));
        Assert.False(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body), bodyOrder, Token));
    }

    [Fact]
    public void A_repeated_names_values_are_sorted_in_UTF16_order_too()
    {
        KeyValuePair<string, string>[] fields = [new("To", HighBmp), new("To", Astral), new("To", "b"), new("To", "a")];
        var body = "To=" + Uri.EscapeDataString(HighBmp) + "&To=" + Uri.EscapeDataString(Astral) + "&To=b&To=a";
        var signature = Reference(Url, "ToaTob" + "To" + Astral + "To" + HighBmp);

        Assert.True(TwilioSignature.IsValid(Url, fields, signature, Token));
        Assert.True(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body), signature, Token));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("Parameter", "")] // names longer than the eight-byte prefix compared first
    [InlineData("P", "x")]
    [InlineData("Param", "zz")]
    public void Names_sort_in_UTF16_ordinal_order_in_both_entry_points(string stem, string tail)
    {
        var astralName = stem + Astral + tail;
        var highName = stem + HighBmp + tail;
        KeyValuePair<string, string>[] fields = [new(highName, "1"), new(stem + "~", "2"), new(astralName, "3")];
        var body = string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + f.Value));
        Assert.True(string.CompareOrdinal(astralName, highName) < 0);
        var signature = Reference(Url, stem + "~2" + astralName + "3" + highName + "1");

        Assert.Equal(signature, TwilioSignature.Compute(Url, fields, Token));
        Assert.True(TwilioSignature.IsValid(Url, fields, signature, Token));
        Assert.True(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body), signature, Token));

        // Code point order (UTF-8 bytes) is not Twilio's.
        var codePointOrder = Reference(Url, stem + "~2" + highName + "1" + astralName + "3");
        Assert.False(TwilioSignature.IsValid(Url, fields, codePointOrder, Token));
        Assert.False(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body), codePointOrder, Token));
    }

    [Fact]
    public void Large_forms_sort_in_UTF16_ordinal_order_with_repeated_values_sorted()
    {
        // More than 64 fields take the other sort.
        var random = new Random(5);
        string[] pieces = ["a", "B", Astral, HighBmp, "\uE000", "\U00010000", "é", "~"];
        var fields = Enumerable.Range(0, 200)
            .Select(_ => new KeyValuePair<string, string>(
                pieces[random.Next(pieces.Length)] + pieces[random.Next(pieces.Length)],
                pieces[random.Next(pieces.Length)] + random.Next(10)))
            .ToList();
        var body = string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
        var signature = Reference(Url, string.Concat(fields
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .ThenBy(f => f.Value, StringComparer.Ordinal)
            .Select(f => f.Key + f.Value)));

        Assert.True(TwilioSignature.IsValid(Url, fields, signature, Token));
        Assert.True(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body), signature, Token));
    }

    [Fact]
    public void A_form_with_a_repeated_name_does_not_reuse_the_order_of_the_form_before_it()
    {
        // The per-thread order cache is keyed on names only: the same names with their values swapped must sort anew.
        var first = Encoding.ASCII.GetBytes("To=a&To=b");
        var second = Encoding.ASCII.GetBytes("To=b&To=a");
        var signature = Reference(Url, "ToaTob");

        Assert.True(TwilioSignature.IsValidFormBody(Url, first, signature, Token));
        Assert.True(TwilioSignature.IsValidFormBody(Url, second, signature, Token));
        Assert.True(TwilioSignature.IsValidFormBody(Url, first, signature, Token));
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("", "a")]
    [InlineData("ab", "abc")]
    [InlineData("\u00E9", "\u0800")]
    [InlineData("\uD7FF", "\uE000")]
    [InlineData("\U0001F600", "\uE000")]
    [InlineData("\U0001F600", "\uFFFD")]
    [InlineData("\U00010000", "\U0010FFFF")]
    [InlineData("x\U0001F600y", "x\U0001F601")]
    [InlineData("\uFF21\U0001F600", "\uFF21\uFF21")]
    public void UTF8_comparison_matches_string_CompareOrdinal(string left, string right)
    {
        var expected = Math.Sign(string.CompareOrdinal(left, right));

        Assert.Equal(expected, Math.Sign(FormBody.CompareUtf16Ordinal(Encoding.UTF8.GetBytes(left), Encoding.UTF8.GetBytes(right))));
        Assert.Equal(-expected, Math.Sign(FormBody.CompareUtf16Ordinal(Encoding.UTF8.GetBytes(right), Encoding.UTF8.GetBytes(left))));
    }

#pragma warning disable CA5350 // Twilio's scheme is HMAC-SHA1.
    private static string Reference(string url, string sortedData) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Token), Encoding.UTF8.GetBytes(url + sortedData)));
#pragma warning restore CA5350
}
