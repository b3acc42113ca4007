using System.Text.Json;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>SK passes strings, Microsoft.Extensions.AI passes JsonElements; both (and plain numbers) render the same.</summary>
public sealed class ArgumentTests
{
    private const string Expected = "Your code is 123456. It expires in 10 minutes.";

    public static TheoryData<string> Kinds => ["string", "padded string", "json string", "json number", "int", "long", "decimal"];

    private static object ArgumentOf(string kind) => kind switch
    {
        "string" => "123456",
        "padded string" => "  123456 ",
        "json string" => JsonDocument.Parse("\"123456\"").RootElement,
        "json number" => JsonDocument.Parse("123456").RootElement,
        "int" => 123456,
        "long" => 123456L,
        "decimal" => 123456m,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Argument_kinds_render_the_same_body(string kind)
    {
        var h = Harness.Start(TestRuntime.Otp());

        var result = await h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = ArgumentOf(kind) });

        Assert.Equal("sent", result.Status());
        Assert.Equal(Expected, Assert.Single(h.Loopback.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Json_string_message_argument_is_sent_as_written()
    {
        var h = Harness.Start(TestRuntime.Summary());

        var result = await h.InvokeAsync("send_summary", new KernelArguments
        {
            ["message"] = JsonDocument.Parse("\"Table for 2 at 7pm \\\"Chez Ann\\\".\"").RootElement,
        });

        Assert.Equal("sent", result.Status());
        Assert.Equal("Table for 2 at 7pm \"Chez Ann\".", Assert.Single(h.Loopback.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Json_null_argument_counts_as_missing()
    {
        var h = Harness.Start(TestRuntime.Otp());

        var result = await h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = JsonDocument.Parse("null").RootElement });

        Assert.Equal("missing_values", result.Status());
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Argument_containing_template_syntax_is_sent_literally_not_evaluated()
    {
        var h = Harness.Start(TestRuntime.Otp());

        await h.SendOtpAsync("{{ 6 * 7 }} <user_phone_number>");

        Assert.Equal("Your code is {{ 6 * 7 }} <user_phone_number>. It expires in 10 minutes.", Assert.Single(h.Loopback.SentMessages).Message.Body);
    }
}
