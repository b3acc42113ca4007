using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.WebUtilities;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.AspNetCore.Tests.Internal;

/// <summary>The webhook's own form decoding reads every body the way ASP.NET Core's form reader does.</summary>
public sealed class FormBodyCompatibilityTests
{
    [Theory]
    [InlineData("Body=Yes%2C+3pm+works%21&From=%2B14155550100&To=whatsapp%3A%2B15005550006")]
    [InlineData("&a=1&&flag&b=&c=100%&d=%zz&e=%4&=nameless")]
    [InlineData("Tag=a&tag=b&TAG=c&Other=x")]
    [InlineData("Emoji=%F0%9F%91%8D&Accent=caf%C3%A9&Plus=%2B+%2b")]
    [InlineData("MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FMedia%2FME1&MediaContentType0=image%2Fjpeg&NumMedia=1")]
    [InlineData("")]
    public async Task Fields_match_ASP_NET_Cores_form_reader(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);

        // Its own copy: FormPipeReader decodes in place in the buffer it reads.
        var expected = await new FormPipeReader(PipeReader.Create(new ReadOnlySequence<byte>([.. bytes]))).ReadFormAsync();

        Assert.True(FormBody.TryParse(bytes, out var form, out var problem), problem);

        var actual = form.Pairs()
            .GroupBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(p => p.Value)), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (name, values) in expected)
        {
            Assert.True(actual.TryGetValue(name, out var value), $"missing '{name}'");
            Assert.Equal(values.ToString(), value);
        }
    }
}
