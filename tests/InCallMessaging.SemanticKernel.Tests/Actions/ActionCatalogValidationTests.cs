using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Actions;

/// <summary>Start-up validation: every configuration problem is reported, each naming the field and the fix.</summary>
public sealed class ActionCatalogValidationTests
{
    private const string GoodTemplateId = "HX0123456789abcdef0123456789abcdef";

    private static InCallMessageAction Action(string name = "send_summary", string? body = null) => new()
    {
        Name = name,
        Description = "Text the caller a summary of what was agreed.",
        Body = body,
    };

    private static IReadOnlyList<string> ErrorsOf(InCallMessagingOptions options)
    {
        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options));
        Assert.NotEmpty(exception.Errors);
        foreach (var error in exception.Errors)
        {
            Assert.Contains(error, exception.Message, StringComparison.Ordinal);
        }

        return exception.Errors;
    }

    private static string SingleError(InCallMessagingOptions options, params string[] fragments)
    {
        var error = Assert.Single(ErrorsOf(options));
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error, StringComparison.Ordinal);
        }

        return error;
    }

    [Fact]
    public void A_valid_configuration_builds_one_function_per_action()
    {
        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary()));

        Assert.Equal("messaging", runtime.Plugin.Name);
        Assert.Equal(["send_otp", "send_summary"], runtime.Plugin.Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Missing_name_is_reported_with_the_action_index()
    {
        SingleError(TestRuntime.Options(TestRuntime.Otp(), Action(name: "  ")), "Actions[1]", "Name is required");
    }

    [Theory]
    [InlineData("send otp")]
    [InlineData("send.otp")]
    [InlineData("envoyer_le_code_é")]
    public void Name_with_characters_outside_letters_digits_underscore_and_dash_is_rejected(string name)
    {
        SingleError(TestRuntime.Options(Action(name)), $"Action '{name}'", "only letters, digits, '_' or '-'");
    }

    [Fact]
    public void Plugin_name_plus_one_plus_function_name_longer_than_64_is_rejected()
    {
        var name = new string('a', 64 - "messaging".Length); // 9 + 1 + 55 = 65

        SingleError(TestRuntime.Options(Action(name)), "too long", "at most 64", "it is 65");
    }

    [Fact]
    public void Plugin_name_plus_one_plus_function_name_of_exactly_64_is_accepted()
    {
        var name = new string('a', 63 - "messaging".Length); // 9 + 1 + 54 = 64

        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(Action(name)));

        Assert.Single(runtime.Plugin);
    }

    [Fact]
    public void Duplicate_names_are_rejected_case_insensitively()
    {
        SingleError(TestRuntime.Options(Action("send_summary"), Action("SEND_SUMMARY")), "Action 'SEND_SUMMARY'", "unique");
    }

    [Fact]
    public void Missing_description_is_rejected()
    {
        var action = Action();
        action.Description = " ";

        SingleError(TestRuntime.Options(action), "Action 'send_summary'", "Description is required");
    }

    [Fact]
    public void Unknown_sender_is_rejected_and_the_configured_senders_are_listed()
    {
        var action = Action();
        action.Sender = "marketing";

        SingleError(TestRuntime.Options(action), "Sender 'marketing'", "'default'", "'whatsapp'");
    }

    [Fact]
    public void Sender_with_an_unregistered_provider_is_rejected()
    {
        var options = TestRuntime.Options(Action());
        options.Senders["carrier"] = new MessageSenderOptions { Provider = "Carrier", From = "+14155550197" };

        SingleError(options, "Sender 'carrier'", "Provider 'Carrier' is not registered", "Loopback", "Http");
    }

    [Fact]
    public void Template_on_an_sms_action_is_rejected()
    {
        var action = Action(body: "Your booking is confirmed.");
        action.Template = new WhatsAppTemplate { TemplateId = GoodTemplateId };

        SingleError(TestRuntime.Options(action), "Template is for WhatsApp only");
    }

    [Fact]
    public void Template_variable_keys_must_be_numbers_or_names()
    {
        // Named keys are for providers whose templates take named parameters; each provider says which it takes.
        var action = Action(body: "Your booking is confirmed.");
        action.Channel = MessageChannel.WhatsApp;
        action.Template = new WhatsAppTemplate { TemplateId = GoodTemplateId, Variables = { ["name"] = "x", ["01"] = "y", ["first name"] = "z" } };

        var errors = ErrorsOf(TestRuntime.Options(action));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("key '01'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("key 'first name'", StringComparison.Ordinal));
    }

    [Fact]
    public void Unterminated_expression_is_a_syntax_error_with_line_and_column()
    {
        var action = Action(body: "Hi {{ call_id ");

        var error = Assert.Single(ErrorsOf(TestRuntime.Options(action)));

        Assert.Contains("Body has a template syntax error at line 1, column", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_syntax_error_reports_line_and_column_of_the_configured_text()
    {
        // "*" is the 14th character of the configured text; the <a><b> placeholders are rewritten internally but the
        // position must still refer to what the user wrote.
        var action = Action(body: "<user_phone_number><call_id> {{ x +* }}");

        var error = SingleError(TestRuntime.Options(action), "Body has a template syntax error at line 1, column 36");

        Assert.Contains("Action 'send_summary'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_syntax_error_on_a_later_line_reports_that_line()
    {
        var action = Action(body: "Hello.\nYour code {{ if }} is ready.");

        SingleError(TestRuntime.Options(action), "line 2, column 17");
    }

    [Fact]
    public void Placeholder_that_can_never_be_filled_is_named_with_the_fix()
    {
        var action = Action(body: "Your account <account_id> is ready.");

        SingleError(TestRuntime.Options(action), "Body uses placeholder 'account_id'", "declare it under Parameters", "list it in Variables", "user_phone_number");
    }

    [Fact]
    public void Placeholder_in_ToPhoneNumber_and_template_variables_is_checked_too()
    {
        var action = Action(body: "Booked.");
        action.Channel = MessageChannel.WhatsApp;
        action.ToPhoneNumber = "<partner_number>";
        action.Template = new WhatsAppTemplate { TemplateId = GoodTemplateId, Variables = { ["1"] = "{{ guest }}" } };

        var errors = ErrorsOf(TestRuntime.Options(action));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("ToPhoneNumber uses placeholder 'partner_number'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Template.Variables[\"1\"] uses placeholder 'guest'", StringComparison.Ordinal));
    }

    [Fact]
    public void Metadata_key_declared_in_MetadataKeys_resolves()
    {
        var options = TestRuntime.Options(Action(body: "Hi <user_name>, thanks for calling."));
        options.MetadataKeys.Add("user_name");

        var runtime = InCallMessagingRuntime.Create(options);

        Assert.Single(runtime.Plugin);
    }

    [Fact]
    public void Reply_variable_of_another_action_resolves()
    {
        var ask = Action("ask_account");
        ask.ReplyVariable = "account_answer";
        var confirm = Action("confirm_account", body: "We will look up account {{ account_answer }} for you.");

        var runtime = InCallMessagingRuntime.Create(TestRuntime.Options(ask, confirm));

        Assert.Equal(2, runtime.Plugin.FunctionCount);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(0)]
    [InlineData(600_001)]
    public void Reply_timeout_outside_1_second_to_10_minutes_is_rejected(int milliseconds)
    {
        var action = Action();
        action.ReplyTimeout = TimeSpan.FromMilliseconds(milliseconds);

        SingleError(TestRuntime.Options(action), "ReplyTimeout", "00:00:01 to 00:10:00");
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(600_000)]
    public void Reply_timeout_at_the_limits_is_accepted(int milliseconds)
    {
        var action = Action();
        action.ReplyTimeout = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Single(InCallMessagingRuntime.Create(TestRuntime.Options(action)).Plugin);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("4155550199")]
    [InlineData("+1415")]
    public void Sender_From_that_is_not_E164_is_rejected(string from)
    {
        var options = TestRuntime.Options(Action());
        options.Senders["default"].From = from;

        SingleError(options, "Sender 'default'", $"From '{from}'", "E.164");
    }

    [Theory]
    [InlineData("+15551234567")]   // the classic US "555" placeholder: area code 555 does not exist
    [InlineData("+1415")]
    [InlineData("+999123456789")]  // no such country code
    public void Sender_From_in_E164_form_that_is_no_valid_number_is_called_not_a_valid_number(string from)
    {
        var options = TestRuntime.Options(Action());
        options.Senders["default"].From = from;

        var error = SingleError(options, "Sender 'default'", $"From '{from}' is not a valid number", "such as +14155550100");
        Assert.DoesNotContain("must be a phone number in E.164 form", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+14155550199")]   // the placeholders the sample and its README use (555-01xx: reserved for fiction)
    [InlineData("+14155550100")]
    public void Sender_From_placeholders_used_in_the_docs_pass_validation(string from)
    {
        var options = TestRuntime.Options(Action());
        options.Senders["default"].From = from;

        Assert.Single(InCallMessagingRuntime.Create(options).Plugin);
    }

    [Fact]
    public void Http_sender_without_Url_is_rejected()
    {
        var options = TestRuntime.Options(Action());
        options.Senders["api"] = new MessageSenderOptions { Provider = "Http" };

        SingleError(options, "Sender 'api'", "Url is required");
    }

    [Fact]
    public void Http_sender_with_plain_http_to_a_remote_host_is_rejected()
    {
        var options = TestRuntime.Options(Action());
        options.Senders["api"] = new MessageSenderOptions { Provider = "http", Http = { Url = new Uri("http://sms.example.com/send") } };

        SingleError(options, "Sender 'api'", "must use https://");
    }

    [Theory]
    [InlineData("https://sms.example.com/send")]
    [InlineData("http://127.0.0.1:5000/send")]
    [InlineData("http://localhost:5000/send")]
    public void Http_sender_with_https_or_loopback_http_is_accepted(string url)
    {
        var options = TestRuntime.Options(Action());
        options.Senders["api"] = new MessageSenderOptions { Provider = "Http", Http = { Url = new Uri(url) } };

        Assert.Single(InCallMessagingRuntime.Create(options).Plugin);
    }

    [Fact]
    public void Declared_message_parameter_of_a_bodyless_action_must_be_required()
    {
        var action = Action();
        action.Parameters = new ActionParameters { Properties = { ["message"] = new ActionParameter { Description = "The text." } } };

        SingleError(TestRuntime.Options(action), "'message' parameter", "Parameters.Required");
    }
}
