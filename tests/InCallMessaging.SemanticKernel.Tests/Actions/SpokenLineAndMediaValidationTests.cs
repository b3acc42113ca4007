using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Actions;

/// <summary>Start-up validation of the spoken lines, the delay threshold and the media URLs.</summary>
public sealed class SpokenLineAndMediaValidationTests
{
    private static InCallMessageAction Action(string name = "send_receipt") => new()
    {
        Name = name,
        Description = "Text the caller their receipt.",
        Body = "Your receipt.",
    };

    private static IReadOnlyList<string> ErrorsOf(params InCallMessageAction[] actions) =>
        Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(TestRuntime.Options(actions))).Errors;

    [Fact]
    public void Unknown_placeholders_in_every_spoken_line_are_start_up_errors_listed_together()
    {
        var action = Action();
        action.MessageBeforeAction = "Texting <nmae> now.";
        action.MessageOnFailure = "Sorry {{ nmae }}.";
        action.MessageOnDelay = "Hold on <nmae>.";

        var errors = ErrorsOf(action);

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Action 'send_receipt': MessageBeforeAction uses placeholder 'nmae'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Action 'send_receipt': MessageOnFailure uses placeholder 'nmae'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Action 'send_receipt': MessageOnDelay uses placeholder 'nmae'", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("declare it under Parameters, list it in Variables", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Spoken_line_syntax_errors_name_the_field()
    {
        var action = Action();
        action.MessageOnFailure = "Sorry {{ if }}";

        var error = Assert.Single(ErrorsOf(action));

        Assert.StartsWith("Action 'send_receipt': MessageOnFailure has a template syntax error", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Spoken_lines_may_use_parameters_and_declared_variables()
    {
        var action = Action();
        action.Parameters = new ActionParameters { Properties = { ["receipt_id"] = new ActionParameter { Description = "The receipt." } } };
        action.MessageBeforeAction = "Texting receipt <receipt_id> now, {{ user_phone_number }}.";
        action.MessageOnFailure = "Sorry, <call_id>.";
        action.MessageOnDelay = "One moment.";

        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(action));

        Assert.Single(runtime.Plugin);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(60_001)]
    public void Delay_threshold_outside_100_ms_to_60_s_is_rejected_with_the_range(int milliseconds)
    {
        var action = Action();
        action.DelayThreshold = TimeSpan.FromMilliseconds(milliseconds);

        var error = Assert.Single(ErrorsOf(action));

        Assert.Contains("Action 'send_receipt': DelayThreshold", error, StringComparison.Ordinal);
        Assert.Contains("00:00:00.1 to 00:01:00 (default 00:00:02)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(60_000)]
    public void Delay_threshold_bounds_are_allowed(int milliseconds)
    {
        var action = Action();
        action.DelayThreshold = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Single(InCallMessagingRuntime.Create(TestRuntime.Options(action)).Plugin);
    }

    [Fact]
    public void Delay_threshold_defaults_to_two_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), new InCallMessageAction().DelayThreshold);
    }

    [Fact]
    public void Every_problem_of_every_action_is_listed_at_once()
    {
        var first = Action("first");
        first.DelayThreshold = TimeSpan.Zero;
        first.MessageOnDelay = "Hold on <who>.";
        var second = Action("second");
        second.MediaUrls = ["http://cdn.example.com/menu.pdf"];

        var errors = ErrorsOf(first, second);

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Action 'first': DelayThreshold", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Action 'first': MessageOnDelay", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Action 'second': MediaUrls[0]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://cdn.example.com/menu.pdf")]
    [InlineData("ftp://cdn.example.com/menu.pdf")]
    [InlineData("/menus/today.pdf")]
    [InlineData("cdn.example.com/menu.pdf")]
    public void A_fixed_media_url_that_is_not_absolute_https_is_a_start_up_error(string url)
    {
        var action = Action();
        action.MediaUrls = ["https://cdn.example.com/ok.png", url];

        var error = Assert.Single(ErrorsOf(action));

        Assert.Equal($"Action 'send_receipt': MediaUrls[1] '{url}' must be an absolute https:// URL (the messaging service fetches the file from it; plain http is not allowed).", error);
    }

    [Fact]
    public void Whatsapp_action_with_more_than_one_media_url_is_a_start_up_error()
    {
        var action = Action();
        action.Channel = MessageChannel.WhatsApp;
        action.Sender = "whatsapp";
        action.MediaUrls = ["https://cdn.example.com/a.pdf", "https://cdn.example.com/b.pdf"];

        var error = Assert.Single(ErrorsOf(action));

        Assert.Contains("MediaUrls has 2 entries, but a WhatsApp message carries only one attachment", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Sms_action_may_carry_up_to_ten_media_urls_and_whatsapp_one()
    {
        var sms = Action("sms");
        sms.MediaUrls = [.. Enumerable.Range(1, 10).Select(i => $"https://cdn.example.com/{i}.png")];
        var whatsApp = Action("whatsapp");
        whatsApp.Channel = MessageChannel.WhatsApp;
        whatsApp.Sender = "whatsapp";
        whatsApp.MediaUrls = ["https://cdn.example.com/invoice.pdf"];

        Assert.Equal(2, InCallMessagingRuntime.Create(TestRuntime.Options(sms, whatsApp)).Plugin.Count());
    }
}
