using System.Security.Cryptography;
using System.Text;

namespace InCallMessaging.Meta.Tests.Webhooks;

public sealed class MetaSignatureTests
{
    private const string Secret = "app-secret";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"object":"whatsapp_business_account","entry":[]}""");

    private static string Expected() => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Body));

    [Fact]
    public void The_hmac_of_the_raw_bytes_is_accepted_in_either_hex_case()
    {
        Assert.True(MetaSignature.IsValid(Body, Expected(), Secret));
        Assert.True(MetaSignature.IsValid(Body, "sha256=" + Expected()["sha256=".Length..].ToUpperInvariant(), Secret));
        Assert.Equal(Expected(), MetaSignature.Sign(Body, Secret));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("sha1=0123456789abcdef0123456789abcdef01234567")]
    [InlineData("sha256=zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Anything_else_is_refused(string header)
    {
        Assert.False(MetaSignature.IsValid(Body, header, Secret));
    }

    [Fact]
    public void An_empty_secret_never_validates()
    {
        Assert.False(MetaSignature.IsValid(Body, MetaSignature.Sign(Body, ""), ""));
    }
}
