using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel.Tests.Core.Sending;

/// <summary>A provider's rules live with it: its own checks join the start-up list, prefixed with the sender or action.</summary>
public sealed class ProviderValidationTests
{
    /// <summary>A carrier that needs its sender's account in <c>From</c>'s place (here: its ServiceId) and caps template variables.</summary>
    private sealed class CarrierProvider : IMessageProvider
    {
        public string Name => "Carrier";

        public List<string> SendersSeen { get; } = [];

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
            ValueTask.FromResult(SendResult.Sent("carrier-1", "accepted"));

        public IEnumerable<string> ValidateSender(MessageSenderOptions sender)
        {
            SendersSeen.Add(sender.From ?? "");
            if (sender.ServiceId is null)
            {
                yield return "ServiceId is required for the Carrier provider: set the carrier's account id.";
            }
        }

        public IEnumerable<string> ValidateAction(InCallMessageAction action)
        {
            if (action.Template is { Variables.Count: > 2 } template)
            {
                yield return $"Template has {template.Variables.Count} variables; Carrier takes at most 2.";
            }
        }
    }

    private static InCallMessageAction Action(string name = "send_summary") => new()
    {
        Name = name,
        Description = "Text the caller a summary of what was agreed.",
        Sender = "carrier",
    };

    private static InCallMessagingOptions CarrierOptions(params InCallMessageAction[] actions)
    {
        var options = TestRuntime.Options(actions);
        options.Senders["carrier"] = new MessageSenderOptions { Provider = "Carrier", From = "+14155550197" };
        return options;
    }

    [Fact]
    public void A_custom_providers_sender_problems_join_the_start_up_list()
    {
        var options = CarrierOptions(Action());
        options.Senders["default"].From = "12345";

        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options, [new CarrierProvider()]));

        Assert.Equal(2, exception.Errors.Count);
        Assert.Contains("Sender 'default': From '12345' must be a phone number in E.164 form such as +14155550100.", exception.Errors);
        Assert.Contains("Sender 'carrier': ServiceId is required for the Carrier provider: set the carrier's account id.", exception.Errors);
        Assert.Contains("Sender 'carrier': ServiceId is required for the Carrier provider", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_providers_action_problems_join_the_start_up_list()
    {
        var action = Action();
        action.Body = "Booked.";
        action.Channel = MessageChannel.WhatsApp;
        action.Template = new WhatsAppTemplate { TemplateId = "any-id-the-carrier-knows", Variables = { ["1"] = "a", ["2"] = "b", ["3"] = "c" } };
        var options = CarrierOptions(action);
        options.Senders["carrier"].ServiceId = "acct-1";

        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options, [new CarrierProvider()]));

        Assert.Equal("Action 'send_summary': Template has 3 variables; Carrier takes at most 2.", Assert.Single(exception.Errors));
    }

    [Fact]
    public void The_core_checks_no_template_id_shape_itself()
    {
        // The template id's shape is the provider's business; the loopback provider takes any.
        var action = new InCallMessageAction
        {
            Name = "send_booking",
            Description = "Text the booking.",
            Body = "Booked.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Template = new WhatsAppTemplate { TemplateId = "template-42" },
        };

        Assert.Single(InCallMessagingRuntime.Create(TestRuntime.Options(action)).Plugin);
    }

    [Fact]
    public void Each_sender_is_checked_only_by_its_own_provider()
    {
        var carrier = new CarrierProvider();
        var options = CarrierOptions(Action());
        options.Senders["carrier"].ServiceId = "acct-1";

        Assert.Single(InCallMessagingRuntime.Create(options, [carrier]).Plugin);
        Assert.Equal(["+14155550197"], carrier.SendersSeen);
    }

    [Fact]
    public void A_sender_naming_an_unregistered_provider_gets_only_the_registration_message()
    {
        var options = TestRuntime.Options(Action());
        options.Actions[0].Sender = "default";
        options.Senders["carrier"] = new MessageSenderOptions { Provider = "Carrier", From = "+14155550197" };

        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options));

        Assert.StartsWith("Sender 'carrier': Provider 'Carrier' is not registered", Assert.Single(exception.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void With_dependency_injection_the_providers_problems_are_listed_by_the_options_validation()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMessageProvider, CarrierProvider>();
        services.AddInCallMessaging(options =>
        {
            options.Senders["carrier"] = new MessageSenderOptions { Provider = "Carrier", From = "+14155550197" };
            options.Actions.Add(Action());
        });
        using var provider = services.BuildServiceProvider();

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<InCallMessagingOptions>>().Value);

        Assert.Contains("Sender 'carrier': ServiceId is required for the Carrier provider: set the carrier's account id.", exception.Failures);
    }
}
