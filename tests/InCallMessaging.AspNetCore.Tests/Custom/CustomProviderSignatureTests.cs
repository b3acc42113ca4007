using System.Text;
using InCallMessaging.AspNetCore.Custom;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.AspNetCore.Tests.Custom;

public sealed class CustomProviderSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"1"}""");

    [Fact]
    public void The_signature_is_lowercase_hex_hmac_sha256_of_the_body()
    {
        // Independently: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a well-known vector.
        var signature = CustomProviderSignature.Compute(Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog"), "key");

        Assert.Equal("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", signature);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("SHA256=")]
    public void Prefixed_or_bare_signatures_are_accepted(string prefix)
    {
        var signature = CustomProviderSignature.Compute(Body, "0123456789abcdef");

        Assert.True(CustomProviderSignature.IsValid(Body, prefix + signature, "0123456789abcdef"));
        Assert.True(CustomProviderSignature.IsValid(Body, prefix + signature.ToUpperInvariant(), "0123456789abcdef"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("not-hex-not-hex-not-hex-not-hex-not-hex-not-hex-not-hex-not-hex!")]
    [InlineData("00")]
    public void Missing_or_malformed_signatures_are_rejected(string? header)
    {
        Assert.False(CustomProviderSignature.IsValid(Body, header, "0123456789abcdef"));
    }

    [Fact]
    public void Another_secret_or_body_is_rejected()
    {
        var signature = CustomProviderSignature.Compute(Body, "0123456789abcdef");

        Assert.False(CustomProviderSignature.IsValid(Body, signature, "fedcba9876543210"));
        Assert.False(CustomProviderSignature.IsValid("{}"u8, signature, "0123456789abcdef"));
    }

    [Fact]
    public void The_channel_defaults_from_the_address_prefix()
    {
        Assert.True(CustomProviderEndpoint.TryParse("""{"id":"1","from":"whatsapp:+14155550100","to":"+15005550006","text":""}"""u8, out var message, out _));

        Assert.Equal(MessageChannel.WhatsApp, message!.Channel);
        Assert.Equal("+14155550100", message.From);
        Assert.Equal("", message.Text);
        Assert.Equal("Http", message.Provider);
    }

    [Fact]
    public void An_explicit_channel_wins()
    {
        Assert.True(CustomProviderEndpoint.TryParse("""{"id":"1","from":"+14155550100","to":"+15005550006","channel":"SMS","text":" hi "}"""u8, out var message, out _));

        Assert.Equal(MessageChannel.Sms, message!.Channel);
        Assert.Equal(" hi ", message.Text);
    }
}
