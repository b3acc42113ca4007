using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>The caller by default; another number only through the action's ToPhoneNumber template.</summary>
public sealed class RecipientTests
{
    private static InCallMessageAction ToFriend() => new()
    {
        Name = "text_friend",
        Description = "Text the address to a friend of the caller.",
        Body = "The address is 1 Main St.",
        ToPhoneNumber = "<friend_number>",
        Parameters = new ActionParameters
        {
            Properties = { ["friend_number"] = new ActionParameter { Description = "The friend's number with country code." } },
            Required = { "friend_number" },
        },
    };

    [Fact]
    public async Task Default_recipient_is_the_caller_and_the_result_masks_it()
    {
        var h = Harness.Start(TestRuntime.Otp());

        var result = await h.SendOtpAsync();

        Assert.Equal(TestRuntime.Caller, Assert.Single(h.Loopback.SentMessages).Message.To);
        Assert.Equal("+1******0100", result.Str("to"));
    }

    [Theory]
    [InlineData("+442071838750", "+442071838750")]
    [InlineData("+44 20 7183 8750", "+442071838750")]
    [InlineData("whatsapp:+442071838750", "+442071838750")]
    public async Task ToPhoneNumber_template_sends_to_the_number_from_the_parameter_in_E164(string given, string expected)
    {
        var options = TestRuntime.Options(ToFriend());
        options.RecipientPolicy.AllowedCountryCodes.AddRange([1, 44]);
        var h = Harness.Start(options);

        var result = await h.InvokeAsync("text_friend", new KernelArguments { ["friend_number"] = given });

        Assert.Equal("sent", result.Status());
        Assert.Equal(expected, Assert.Single(h.Loopback.SentMessages).Message.To);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("02071838750")]
    [InlineData("+1000")]
    [InlineData("call me maybe")]
    public async Task Invalid_recipient_is_blocked_and_nothing_is_sent(string given)
    {
        var h = Harness.Start(ToFriend());

        var result = await h.InvokeAsync("text_friend", new KernelArguments { ["friend_number"] = given });

        Assert.Equal("blocked", result.Status());
        Assert.Equal("invalid_recipient", result.Reason());
        Assert.Contains("country code", result.Str("detail"), StringComparison.Ordinal);
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Session.Messages);
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("+1415555")]
    [InlineData("client:alice")]
    public async Task Caller_without_a_textable_number_is_blocked(string caller)
    {
        var h = Harness.Start(TestRuntime.Options(TestRuntime.Otp()), caller: caller);

        var result = await h.SendOtpAsync();

        Assert.Equal("blocked", result.Status());
        Assert.Equal("invalid_recipient", result.Reason());
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Speech.Lines);
    }

    [Fact]
    public async Task Action_without_ToPhoneNumber_ignores_recipient_arguments_from_the_llm()
    {
        var h = Harness.Start(TestRuntime.Otp());

        var result = await h.InvokeAsync("send_otp", new KernelArguments
        {
            ["otp_code"] = "123456",
            ["to"] = "+442071838750",
            ["phone"] = "+442071838750",
            ["to_phone_number"] = "+442071838750",
            ["user_phone_number"] = "+442071838750",
        });

        Assert.Equal("sent", result.Status());
        Assert.Equal(TestRuntime.Caller, Assert.Single(h.Loopback.SentMessages).Message.To);
    }

    [Fact]
    public async Task Llm_cannot_override_call_variables_used_in_templates()
    {
        var action = TestRuntime.Otp();
        action.Body = "Code <otp_code> for <user_phone_number>.";
        var h = Harness.Start(action);

        await h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "123456", ["user_phone_number"] = "+442071838750" });

        Assert.Equal($"Code 123456 for {TestRuntime.Caller}.", Assert.Single(h.Loopback.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Kernel_without_a_call_session_blocks_with_no_call()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);

        var result = await kernel.InvokeAsync(runtime.Plugin["send_otp"], new KernelArguments { ["otp_code"] = "123456" });

        Assert.Contains("\"reason\":\"no_call\"", result.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(runtime.Loopback!.SentMessages);
    }

    [Fact]
    public async Task Ended_call_blocks_with_call_ended()
    {
        var h = Harness.Start(TestRuntime.Otp());
        h.Runtime.Calls.EndCall(Harness.CallId);

        var result = await h.SendOtpAsync();

        Assert.Equal("blocked", result.Status());
        Assert.Equal("call_ended", result.Reason());
        Assert.Empty(h.Loopback.SentMessages);
    }
}
