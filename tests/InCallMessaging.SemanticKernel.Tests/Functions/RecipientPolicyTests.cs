using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>
/// SMS-pumping guard: when the model can choose the recipient, it can only text numbers in allowed countries, of
/// allowed types, and only so many distinct numbers per call. The caller's own number is always allowed.
/// </summary>
public sealed class RecipientPolicyTests
{
    private static InCallMessageAction ToFriend() => new()
    {
        Name = "text_friend",
        Description = "Text the address to a friend of the caller.",
        Body = "The address is 1 Main St.",
        ToPhoneNumber = "<friend_number>",
        MessageBeforeAction = "Texting your friend now.",
        Parameters = new ActionParameters
        {
            Properties = { ["friend_number"] = new ActionParameter { Description = "The friend's number with country code." } },
            Required = { "friend_number" },
        },
    };

    private static Harness Start(Action<RecipientPolicyOptions>? configure = null)
    {
        var options = TestRuntime.Options(ToFriend());
        configure?.Invoke(options.RecipientPolicy);
        return Harness.Start(options);
    }

    private static Task<System.Text.Json.JsonElement> TextAsync(Harness h, string number) =>
        h.InvokeAsync("text_friend", new KernelArguments { ["friend_number"] = number });

    [Theory]
    [InlineData("+19002345678", "premium-rate")]
    [InlineData("+33612345678", "country code +33")]
    [InlineData("+447911123456", "country code +44")]
    public async Task Number_outside_the_policy_is_blocked_before_anything_is_said_or_sent(string number, string why)
    {
        var h = Start();

        var result = await TextAsync(h, number);

        Assert.Equal(("blocked", "recipient_not_allowed"), (result.Status(), result.Reason()));
        Assert.Contains(why, result.Str("detail"), StringComparison.Ordinal);
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Speech.Lines);
    }

    [Fact]
    public async Task Numbers_in_the_callers_country_are_allowed_by_default()
    {
        var h = Start();

        var result = await TextAsync(h, "+12025550143");

        Assert.Equal("sent", result.Status());
        Assert.Equal("+12025550143", Assert.Single(h.Loopback.SentMessages).Message.To);
    }

    [Fact]
    public async Task Configured_country_codes_replace_the_default()
    {
        var h = Start(p => p.AllowedCountryCodes.Add(33));

        Assert.Equal("sent", (await TextAsync(h, "+33612345678")).Status());
        Assert.Equal("recipient_not_allowed", (await TextAsync(h, "+12025550143")).Reason());
        Assert.Equal("sent", (await TextAsync(h, TestRuntime.Caller)).Status());
    }

    [Fact]
    public async Task Empty_blocked_types_allow_premium_rate_when_an_operator_says_so()
    {
        var h = Start(p => p.BlockedNumberTypes = []);

        Assert.Equal("sent", (await TextAsync(h, "+19002345678")).Status());
    }

    [Fact]
    public async Task Distinct_recipients_per_call_are_capped_and_repeats_are_not_counted()
    {
        var h = Start(p => p.MaxRecipientsPerCall = 2);

        var first = await TextAsync(h, "+12025550143");
        var caller = await TextAsync(h, TestRuntime.Caller);
        var third = await TextAsync(h, "+12025550144");
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var again = await TextAsync(h, "+12025550143");

        Assert.Equal("sent", first.Status());
        Assert.Equal("sent", caller.Status());
        Assert.Equal(("blocked", "recipient_not_allowed"), (third.Status(), third.Reason()));
        Assert.Contains("2 different numbers", third.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("sent", again.Status());
        Assert.Equal(3, h.Loopback.SentMessages.Count);
    }

    [Fact]
    public void Policy_configuration_errors_are_reported_at_start_up()
    {
        var options = TestRuntime.Options(ToFriend());
        options.RecipientPolicy.AllowedCountryCodes.Add(999);
        options.RecipientPolicy.BlockedNumberTypes = ["Premium"];
        options.RecipientPolicy.MaxRecipientsPerCall = 0;

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options));

        Assert.Contains("RecipientPolicy.AllowedCountryCodes: 999 is not a country calling code", error.Message, StringComparison.Ordinal);
        Assert.Contains("RecipientPolicy.BlockedNumberTypes: 'Premium' is not a number type", error.Message, StringComparison.Ordinal);
        Assert.Contains("RecipientPolicy.MaxRecipientsPerCall is 0", error.Message, StringComparison.Ordinal);
    }
}
