using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>
/// Twilio's own start-up rules (the Messaging Service and Content SID shapes, the 100-variable limit) are the Twilio
/// provider's: they reach the start-up list through <c>IMessageProvider.ValidateSender</c>/<c>ValidateAction</c>.
/// </summary>
public sealed class TwilioStartupRulesTests : IDisposable
{
    private const string GoodTemplateId = TwilioTestHost.TemplateId;

    private readonly TwilioTestHost _host = new(new Uri("http://127.0.0.1:9"));

    public void Dispose() => _host.Dispose();

    private static InCallMessageAction Action(string name = "send_summary", string? body = null) => new()
    {
        Name = name,
        Description = "Text the caller a summary of what was agreed.",
        Body = body,
    };

    private static InCallMessagingOptions Options(params InCallMessageAction[] actions)
    {
        var options = new InCallMessagingOptions();
        options.Senders["default"] = new MessageSenderOptions { Provider = "Twilio", From = "+14155550199" };
        options.Senders["whatsapp"] = new MessageSenderOptions { Provider = "Twilio", From = "+14155550198" };
        options.Actions.AddRange(actions);
        return options;
    }

    private IReadOnlyList<string> ErrorsOf(InCallMessagingOptions options)
    {
        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options, [_host.Provider]));
        Assert.NotEmpty(exception.Errors);
        foreach (var error in exception.Errors)
        {
            Assert.Contains(error, exception.Message, StringComparison.Ordinal);
        }

        return exception.Errors;
    }

    private string SingleError(InCallMessagingOptions options, params string[] fragments)
    {
        var error = Assert.Single(ErrorsOf(options));
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error, StringComparison.Ordinal);
        }

        return error;
    }

    [Fact]
    public void A_valid_twilio_configuration_builds()
    {
        var action = Action(body: "Booked.");
        action.Channel = MessageChannel.WhatsApp;
        action.Sender = "whatsapp";
        action.Template = new WhatsAppTemplate { TemplateId = GoodTemplateId, Variables = { ["1"] = "{{ call_id }}" } };
        var options = Options(action);
        options.Senders["service"] = new MessageSenderOptions { Provider = "Twilio", ServiceId = TwilioTestHost.MessagingServiceSid };

        Assert.Single(InCallMessagingRuntime.Create(options, [_host.Provider]).Plugin);
    }

    // Moved from the core's ActionCatalogValidationTests: the rule is Twilio's now, so it runs with a Twilio sender.
    [Theory]
    [InlineData("HX123")]
    [InlineData("MG0123456789abcdef0123456789abcdef")]
    [InlineData("HX0123456789abcdef0123456789abcdeg")]
    public void WhatsApp_template_with_a_malformed_TemplateId_is_rejected(string sid)
    {
        var action = Action(body: "Your booking is confirmed.");
        action.Channel = MessageChannel.WhatsApp;
        action.Sender = "whatsapp";
        action.Template = new WhatsAppTemplate { TemplateId = sid };

        SingleError(Options(action), $"TemplateId '{sid}'", "'HX' followed by 32 hex digits");
    }

    [Theory]
    [InlineData("MG123")]
    [InlineData("HX0123456789abcdef0123456789abcdef")]
    [InlineData("MG0123456789abcdef0123456789abcdeg")]
    public void Sender_with_a_malformed_ServiceId_is_rejected(string sid)
    {
        var options = Options(Action());
        options.Senders["service"] = new MessageSenderOptions { Provider = "Twilio", ServiceId = sid };

        Assert.Equal($"Sender 'service': ServiceId '{sid}' must be 'MG' followed by 32 hex digits (a Twilio Messaging Service SID).", Assert.Single(ErrorsOf(options)));
    }

    [Fact]
    public void Template_with_more_than_100_variables_is_rejected()
    {
        var action = Action(body: "Booked.");
        action.Channel = MessageChannel.WhatsApp;
        action.Sender = "whatsapp";
        action.Template = new WhatsAppTemplate { TemplateId = GoodTemplateId };
        for (var i = 1; i <= 101; i++)
        {
            action.Template.Variables[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = "x";
        }

        Assert.Equal("Action 'send_summary': Template has 101 variables; Twilio allows at most 100.", Assert.Single(ErrorsOf(Options(action))));
    }

    [Fact]
    public void Template_variables_keyed_by_name_are_rejected_for_Twilio_Content()
    {
        // The core takes named keys for providers whose templates have named parameters; Twilio Content's are numbered.
        var action = Action(body: "Booked.");
        action.Channel = MessageChannel.WhatsApp;
        action.Sender = "whatsapp";
        action.Template = new WhatsAppTemplate { TemplateId = GoodTemplateId, Variables = { ["1"] = "x", ["first_name"] = "y" } };

        SingleError(Options(action), "Template variable key 'first_name' must be a number \"1\", \"2\", ... as in the approved Twilio Content template.");
    }

    [Fact]
    public void Twilio_rules_do_not_apply_to_senders_of_other_providers()
    {
        var options = Options(Action());
        options.Senders["local"] = new MessageSenderOptions { Provider = "Loopback", ServiceId = "not-a-twilio-sid" };

        Assert.Single(InCallMessagingRuntime.Create(options, [_host.Provider]).Plugin);
    }

    // Moved from the core's ActionCatalogValidationTests: the list mixes the core's problems, the Twilio provider's and
    // the Http provider's, all reported together.
    [Fact]
    public void Every_problem_is_listed_together()
    {
        var badName = Action("bad name!");
        badName.Description = "";
        var unknownSender = Action("to_partner", body: "Hi <partner>, see {{ x +* }}");
        unknownSender.Sender = "nope";
        unknownSender.ReplyTimeout = TimeSpan.FromMinutes(30);
        var badTemplate = Action("send_booking", body: "Booked.");
        badTemplate.Template = new WhatsAppTemplate { TemplateId = "HX1" };
        var options = Options(badName, unknownSender, badTemplate, Action("BAD NAME!"));
        options.Senders["default"].From = "12345";
        options.Senders["api"] = new MessageSenderOptions { Provider = "Http" };
        options.MaxMessagesPerCall = 0;

        var errors = ErrorsOf(options);

        string[] expected =
        [
            "MaxMessagesPerCall is 0",
            "Sender 'default': From '12345'",
            "Sender 'api': Http:Url is required",
            "Action 'bad name!': Name must contain only",
            "Action 'bad name!': Description is required",
            "Action 'to_partner': Sender 'nope'",
            "Action 'to_partner': ReplyTimeout 00:30:00",
            "Action 'to_partner': Body has a template syntax error at line 1, column",
            "Action 'send_booking': Template is for WhatsApp only",
            "Action 'send_booking': TemplateId 'HX1'",
            "Action 'BAD NAME!': Name is used by another action",
        ];
        foreach (var fragment in expected)
        {
            Assert.Contains(errors, e => e.Contains(fragment, StringComparison.Ordinal));
        }
    }
}
