using System.Text;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.Twilio.Tests.Internal;

/// <summary>
/// The webhook's one decoding of a form body: what it decodes, what it refuses, and that a signature checked over it is
/// the signature checked over the same form's name/value pairs.
/// </summary>
public sealed class FormBodyTests
{
    private const string Token = "12345";
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";

    private static FormBody Parse(string body)
    {
        Assert.True(FormBody.TryParse(Encoding.UTF8.GetBytes(body), out var form, out var problem), problem);
        return form;
    }

    private static string Encode(IEnumerable<KeyValuePair<string, string>> fields) =>
        string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));

    [Fact]
    public void Plus_and_percent_escapes_are_decoded()
    {
        var form = Parse("Body=Yes%2C+3pm+works%21&From=%2B14155550100&Emoji=%F0%9F%91%8D&Accent=caf%C3%A9");

        Assert.Equal(4, form.Count);
        Assert.Equal("Yes, 3pm works!", form["Body"]);
        Assert.Equal("+14155550100", form["From"]);
        Assert.Equal("\U0001F44D", form["Emoji"]);
        Assert.Equal("café", form["Accent"]);
    }

    [Fact]
    public void Odd_segments_are_read_as_ASP_NET_Core_reads_them()
    {
        var form = Parse("&a=1&&flag&b=&c=100%&d=%zz&e=%4");

        Assert.Equal(["a", "flag", "b", "c", "d", "e"], Enumerable.Range(0, form.Count).Select(form.Name));
        Assert.Equal("1", form["a"]);
        Assert.Equal("", form["flag"]);
        Assert.Equal("", form["b"]);
        Assert.Equal("100%", form["c"]);
        Assert.Equal("%zz", form["d"]);
        Assert.Equal("%4", form["e"]);
    }

    [Fact]
    public void Names_are_found_ignoring_case_and_the_first_of_a_repeated_name_wins()
    {
        var form = Parse("MediaUrl0=first&mediaurl0=second");

        Assert.Equal("first", form["mediaurl0"]);
        Assert.True(form.Contains("MEDIAURL0"));
        Assert.False(form.Contains("MediaUrl1"));
        Assert.Null(form["MediaUrl1"]);
        Assert.Equal(2, form.Pairs().Count());
    }

    [Theory]
    [InlineData("Body=%FF%FE")]
    [InlineData("%C3=x")]
    [InlineData("Body=%ED%A0%80")]
    [InlineData("Na%C3=%A9")]
    [InlineData("a=%C3&%A9=c")]
    [InlineData("a=%C3&b=&%A9=c")]
    [InlineData("ok=caf%C3%A9&Body=%E2%9C")]
    public void A_field_that_is_not_UTF8_once_decoded_is_refused(string body)
    {
        Assert.False(FormBody.TryParse(Encoding.ASCII.GetBytes(body), out var form, out var problem));

        Assert.Null(form);
        Assert.Contains("not UTF-8", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_fields_are_refused()
    {
        var body = string.Join("&", Enumerable.Range(0, FormBody.MaxFields + 1).Select(i => $"f{i}=1"));

        Assert.False(FormBody.TryParse(Encoding.ASCII.GetBytes(body), out _, out var problem));
        Assert.Contains($"more than {FormBody.MaxFields} fields", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoding_in_place_gives_the_same_fields_as_decoding_a_copy()
    {
        const string body = "Body=Hello+%E2%9C%93+world&From=%2B1415&To=whatsapp%3A%2B1500&NumMedia=0";
        var copy = Parse(body);
        var bytes = BodyPool.Rent(body.Length);
        var length = Encoding.UTF8.GetBytes(body, bytes);

        Assert.True(FormLease.TryDecode(bytes, length, out var inPlace, out _));

        using (inPlace)
        {
            Assert.Equal(copy.Pairs(), inPlace.Form.Pairs());
            Assert.Equal("Hello ✓ world", inPlace.Form["Body"]);
        }
    }

    [Fact]
    public void A_pooled_body_decodes_like_a_copy_and_is_wiped_when_disposed()
    {
        const string body = "Body=Hello+%E2%9C%93+world&From=%2B1415&To=whatsapp%3A%2B1500&NumMedia=0";
        var copy = Parse(body);
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(256);
        var length = Encoding.UTF8.GetBytes(body, rented);

        Assert.True(FormLease.TryDecode(rented, length, out var pooled, out var problem), problem);
        Assert.Equal(copy.Pairs(), pooled.Form.Pairs());

        pooled.Dispose();
        pooled.Dispose();
        Assert.True(rented.AsSpan(0, length).IndexOfAnyExcept((byte)0) < 0, "the caller's text must not stay in the pooled array");
    }

    [Fact]
    public void A_pooled_body_that_is_not_a_form_is_wiped_at_once()
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(64);
        rented.AsSpan().Clear();
        byte[] body = [(byte)'a', (byte)'=', 0xFF, (byte)'&', (byte)'b', (byte)'=', (byte)'1'];
        body.CopyTo(rented, 0);

        Assert.False(FormLease.TryDecode(rented, body.Length, out _, out var problem));
        Assert.Contains("UTF-8", problem, StringComparison.Ordinal);
        Assert.True(rented.AsSpan(0, body.Length).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void A_form_cannot_be_read_once_its_lease_has_ended()
    {
        var body = BodyPool.Rent(16);
        var length = Encoding.UTF8.GetBytes("Body=secret&a=1", body);
        Assert.True(FormLease.TryDecode(body, length, out var lease, out _));
        var form = lease.Form;

        lease.Dispose();

        Assert.Throws<IndexOutOfRangeException>(() => form["Body"]);
    }

    [Fact]
    public void The_signing_order_is_right_for_every_form_when_a_thread_sorts_many_in_turn()
    {
        // The order found last is reused for a form with the same names in the same order: forms that differ by one
        // name, by order or by count must each get their own order.
        var random = new Random(11);
        string[] names = ["To", "From", "Body", "ToZip", "FromZip", "SmsSid", "Sms", "MessageSid", "NumMedia", "a", "A", "é"];
        var previous = new List<KeyValuePair<string, string>>();
        for (var round = 0; round < 500; round++)
        {
            var fields = random.Next(4) == 0 && previous.Count > 0
                ? previous.Select(f => new KeyValuePair<string, string>(f.Key, f.Value + "x")).ToList()
                : Enumerable.Range(0, random.Next(1, 12)).Select(i => new KeyValuePair<string, string>(names[random.Next(names.Length)], i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
            if (random.Next(5) == 0 && fields.Count > 1)
            {
                (fields[0], fields[^1]) = (fields[^1], fields[0]);
            }

            var form = Parse(Encode(fields));
            var order = new int[form.Count];
            form.SortedIndices(order);

            var expected = fields
                .OrderBy(f => f.Key, StringComparer.Ordinal)
                .ThenBy(f => f.Value, StringComparer.Ordinal)
                .Select(f => f.Key + "=" + f.Value);
            Assert.Equal(expected, order.Select(i => form.Name(i) + "=" + form.Value(i)));
            previous = fields;
        }
    }

    [Fact]
    public void Signing_order_is_by_name_then_a_repeated_names_values()
    {
        var form = Parse("b=2&B=3&a=1&b=1&ab=0&Body=x&BodyX=y&aaaaaaaaaz=1&aaaaaaaaa=2&%C3%A9=e&z=last");
        Span<int> order = stackalloc int[form.Count];

        form.SortedIndices(order);

        var names = new List<string>();
        foreach (var index in order)
        {
            names.Add(form.Name(index) + "=" + form.Value(index));
        }

        Assert.Equal(["B=3", "Body=x", "BodyX=y", "a=1", "aaaaaaaaa=2", "aaaaaaaaaz=1", "ab=0", "b=1", "b=2", "z=last", "é=e"], names);
    }

    [Fact]
    public void Large_forms_are_sorted_the_same_way()
    {
        var random = new Random(7);
        var fields = Enumerable.Range(0, 300).Select(i => new KeyValuePair<string, string>("k" + random.Next(0, 50), i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var form = Parse(Encode(fields));
        var order = new int[form.Count];

        form.SortedIndices(order);

        var expected = fields.OrderBy(f => f.Key, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal).Select(f => f.Value);
        Assert.Equal(expected, order.Select(form.Value));
    }

    [Fact]
    public void The_documented_vector_is_valid_from_the_raw_body()
    {
        const string body = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";

        Assert.True(TwilioSignature.IsValidFormBody(Url, Encoding.UTF8.GetBytes(body), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", Token));
        Assert.False(TwilioSignature.IsValidFormBody(Url, Encoding.UTF8.GetBytes(body.Replace("1234&", "1235&", StringComparison.Ordinal)), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", Token));
        Assert.False(TwilioSignature.IsValidFormBody(Url, Encoding.ASCII.GetBytes(body + "&x=%FF"), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", Token));
    }

    [Fact]
    public void A_signature_over_the_decoded_body_matches_one_over_the_same_pairs()
    {
        var random = new Random(42);
        const string alphabet = "aAbBzZ09 +%&=/:?é✓_-";
        for (var round = 0; round < 200; round++)
        {
            var fields = Enumerable.Range(0, random.Next(0, 25))
                .Select(_ => new KeyValuePair<string, string>(Text(random, alphabet, 1, 8), Text(random, alphabet, 0, 30)))
                .ToList();
            var signature = TwilioSignature.Compute(Url, fields, Token);

            Assert.True(TwilioSignature.IsValid(Url, Parse(Encode(fields)), signature, Token), Encode(fields));
            Assert.True(TwilioSignature.IsValidFormBody(Url, Encoding.UTF8.GetBytes(Encode(fields)), signature, Token));
        }
    }

    private static string Text(Random random, string alphabet, int min, int max) =>
        new([.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
}
