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
}
