
namespace InCallMessaging.SemanticKernel.Tests.Core.Diagnostics;

public sealed class RedactTests
{
    [Theory]
    [InlineData("+14155550100", "+1******0100")]
    [InlineData("+442071838750", "+4*******8750")]
    [InlineData("1234567", "12*4567")]
    [InlineData("123456", "******")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Phone_keeps_the_prefix_and_the_last_four_digits(string? number, string expected)
    {
        Assert.Equal(expected, Redact.Phone(number));
    }

    [Fact]
    public void Text_is_replaced_by_its_length()
    {
        Assert.Equal("[12 chars]", Redact.Text("Your code 42"));
        Assert.Equal("[none]", Redact.Text(null));
    }
}
