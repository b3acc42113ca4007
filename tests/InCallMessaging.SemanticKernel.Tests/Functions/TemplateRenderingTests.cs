using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>Bodies render from parameters and call variables; a missing value sends nothing.</summary>
public sealed class TemplateRenderingTests
{
    private static InCallMessageAction Greeting(string body) => new()
    {
        Name = "send_greeting",
        Description = "Text the caller a greeting.",
        Body = body,
        MessageBeforeAction = "Texting you now.",
        Parameters = new ActionParameters
        {
            Properties = { ["place"] = new ActionParameter { Description = "Where the caller is going." } },
        },
    };

    private static Harness StartWithUserName(InCallMessageAction action, string? userName = "Ann")
    {
        var options = TestRuntime.Options(action);
        options.MetadataKeys.Add("user_name");
        var metadata = userName is null ? null : new Dictionary<string, string> { ["user_name"] = userName };
        return Harness.Start(options, metadata: metadata);
    }

    private static async Task<string?> SendAsync(Harness h, KernelArguments? arguments = null)
    {
        var result = await h.InvokeAsync("send_greeting", arguments ?? new KernelArguments { ["place"] = "Paris" });
        Assert.Equal("sent", result.Status());
        return h.Loopback.SentMessages[^1].Message.Body;
    }

    [Fact]
    public async Task Angle_placeholders_and_scriban_expressions_both_render()
    {
        var h = StartWithUserName(Greeting("Hi <user_name>, enjoy {{ place }}{{ if place == 'Paris' }} in spring{{ end }}! <place> awaits."));

        Assert.Equal("Hi Ann, enjoy Paris in spring! Paris awaits.", await SendAsync(h));
    }

    [Fact]
    public async Task Angle_placeholder_and_scriban_pipe_to_a_builtin_both_render()
    {
        var h = StartWithUserName(Greeting("Hi <user_name>, enjoy {{ place | string.upcase }}! <place> awaits."));

        Assert.Equal("Hi Ann, enjoy PARIS! Paris awaits.", await SendAsync(h));
    }

    [Fact]
    public async Task Call_variables_render()
    {
        var ask = new InCallMessageAction { Name = "ask_account", Description = "Ask for the account number by text.", ReplyVariable = "account_answer" };
        var options = TestRuntime.Options(Greeting("Call <call_id> from <user_phone_number> to <agent_phone_number>: account <account_answer>."), ask);
        var h = Harness.Start(options);
        h.Session.SetVariable("account_answer", "AC-42");

        Assert.Equal($"Call {Harness.CallId} from {TestRuntime.Caller} to {TestRuntime.Agent}: account AC-42.", await SendAsync(h));
    }

    [Fact]
    public async Task Earlier_sms_reply_renders_in_a_later_action()
    {
        var h = Harness.Start(Greeting("You told us: <sms_reply>"), TestRuntime.Summary());
        await h.SendSummaryAsync("What is your postcode?");
        await h.Loopback.ReplyAsync(h.Loopback.SentMessages[0], "SW1A 1AA");

        Assert.Equal("You told us: SW1A 1AA", await SendAsync(h));
    }

    [Fact]
    public async Task Builtin_functions_are_not_reported_as_unknown_and_evaluate()
    {
        var h = StartWithUserName(Greeting("{{ user_name | string.downcase }} has {{ -3 | math.abs }} tickets for {{ place | string.size }}-letter city {{ date.parse '2026-01-02' | date.to_string '%Y' }}."));

        Assert.Equal("ann has 3 tickets for 5-letter city 2026.", await SendAsync(h));
    }

    [Fact]
    public async Task Missing_parameter_returns_missing_values_and_sends_and_speaks_nothing()
    {
        var h = Harness.Start(TestRuntime.Otp());

        var result = await h.InvokeAsync("send_otp", []);

        Assert.Equal("missing_values", result.Status());
        Assert.Equal(["otp_code"], result.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("otp_code", result.Str("detail"), StringComparison.Ordinal);
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Speech.Lines);
        Assert.Empty(h.Session.Messages);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public async Task Whitespace_only_argument_counts_as_missing(string value)
    {
        var h = Harness.Start(TestRuntime.Otp());

        var result = await h.SendOtpAsync(value);

        Assert.Equal("missing_values", result.Status());
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Missing_call_metadata_is_reported_by_name_and_nothing_is_sent()
    {
        var h = StartWithUserName(Greeting("Hi <user_name>, see you in <place>."), userName: null);

        var result = await h.InvokeAsync("send_greeting", new KernelArguments { ["place"] = "Rome" });

        Assert.Equal("missing_values", result.Status());
        Assert.Equal(["user_name"], result.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Every_missing_value_is_listed_once()
    {
        var greeting = Greeting("Hi <user_name>, <place>, {{ place }} and <sms_reply>.");
        greeting.Parameters!.Required.Add("place");
        var h = StartWithUserName(greeting, userName: null);

        var result = await h.InvokeAsync("send_greeting", []);

        Assert.Equal(["user_name", "place", "sms_reply"], result.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Missing_message_of_a_bodyless_action_is_reported()
    {
        var h = Harness.Start(TestRuntime.Summary());

        var result = await h.InvokeAsync("send_summary", []);

        Assert.Equal("missing_values", result.Status());
        Assert.Equal(["message"], result.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task Values_of_one_send_never_leak_into_the_next()
    {
        var h = Harness.Start(TestRuntime.Otp());

        await h.SendOtpAsync("111111");
        await h.SendOtpAsync("222222");

        Assert.Equal(
            ["Your code is 111111. It expires in 10 minutes.", "Your code is 222222. It expires in 10 minutes."],
            h.Loopback.SentMessages.Select(m => m.Message.Body));
    }

    [Fact]
    public async Task Bodyless_action_with_a_declared_message_parameter_sends_that_message()
    {
        var action = TestRuntime.Summary();
        action.Parameters = new ActionParameters
        {
            Properties = { ["message"] = new ActionParameter { Description = "The summary, two sentences at most." } },
            Required = { "message" },
        };
        var h = Harness.Start(action);

        var result = await h.SendSummaryAsync("See you Friday at 7.");

        Assert.Equal("sent", result.Status());
        Assert.Equal("See you Friday at 7.", Assert.Single(h.Loopback.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Escaped_angle_brackets_are_sent_literally()
    {
        var h = StartWithUserName(Greeting("Hi <user_name>, reply \\<YES> to confirm <place>, or \\<NO>."));

        Assert.Equal("Hi Ann, reply <YES> to confirm Paris, or <NO>.", await SendAsync(h));
    }

    [Fact]
    public void Unknown_angle_placeholder_error_names_the_escape()
    {
        var error = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(TestRuntime.Options(Greeting("Reply <YES> to confirm."))));

        Assert.Contains("uses placeholder 'YES', which can never be filled", error.Message, StringComparison.Ordinal);
        Assert.Contains("escape it as '\\<YES>'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Variable_set_during_the_call_renders_when_declared_under_Variables()
    {
        var options = TestRuntime.Options(Greeting("Your table is <table_number>, see you in <place>."));
        options.Variables.Add("table_number");
        var h = Harness.Start(options);

        var before = await h.InvokeAsync("send_greeting", new KernelArguments { ["place"] = "Paris" });
        h.Session.SetVariable("table_number", "12");
        var after = await SendAsync(h);

        Assert.Equal("missing_values", before.Status());
        Assert.Equal(["table_number"], before.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Your table is 12, see you in Paris.", after);
    }
}
