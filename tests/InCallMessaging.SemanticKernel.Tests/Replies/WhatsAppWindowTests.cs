using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>WhatsApp's 24-hour window: template outside it, free-form inside it.</summary>
public sealed class WhatsAppWindowTests
{
    private const string TemplateId = "HX0123456789abcdef0123456789abcdef";
    private const string WhatsAppNumber = "+14155550198";

    private static InCallMessageAction Booking(bool withTemplate = true) => new()
    {
        Name = "send_booking",
        Description = "Send the booking confirmation on WhatsApp.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Body = "Booking <booking_ref> is confirmed.",
        Parameters = new ActionParameters
        {
            Properties = { ["booking_ref"] = new ActionParameter { Description = "The booking reference." } },
            Required = { "booking_ref" },
        },
        Template = withTemplate
            ? new WhatsAppTemplate { TemplateId = TemplateId, Variables = { ["1"] = "{{ booking_ref }}", ["2"] = "<user_phone_number>" } }
            : null,
    };

    private static Task<System.Text.Json.JsonElement> SendAsync(Harness h, string reference = "ab12") =>
        h.InvokeAsync("send_booking", new KernelArguments { ["booking_ref"] = reference });

    /// <summary>The caller writes to the WhatsApp number, as Twilio's webhook would deliver it (sender found from the To number).</summary>
    private static ValueTask<ReplyDeliveryOutcome> CallerWritesOnWhatsAppAsync(Harness h, string text = "hi") =>
        h.Hub.DeliverAsync(Harness.Inbound(text, to: WhatsAppNumber, channel: MessageChannel.WhatsApp));

    [Fact]
    public async Task Without_an_inbound_WhatsApp_message_the_template_is_sent()
    {
        var h = Harness.Start(Booking());

        var result = await SendAsync(h);

        Assert.Equal("sent", result.Status());
        Assert.Equal("whatsapp", result.Str("channel"));
        var sent = Assert.Single(h.Loopback.SentMessages).Message;
        Assert.Null(sent.Body);
        Assert.Equal(MessageChannel.WhatsApp, sent.Channel);
        Assert.Equal(TemplateId, sent.Content!.TemplateId);
        Assert.Equal("ab12", sent.Content.Variables["1"]);
        Assert.Equal(TestRuntime.Caller, sent.Content.Variables["2"]);
        Assert.Equal("[template " + TemplateId + "]", Assert.Single(h.Session.Messages).Text);
    }

    [Fact]
    public async Task Within_24_hours_of_an_inbound_WhatsApp_message_free_form_is_sent()
    {
        var h = Harness.Start(Booking());
        await CallerWritesOnWhatsAppAsync(h);
        h.Time.Advance(TimeSpan.FromHours(23));

        await SendAsync(h);

        var sent = Assert.Single(h.Loopback.SentMessages).Message;
        Assert.Equal("Booking ab12 is confirmed.", sent.Body);
        Assert.Null(sent.Content);
    }

    [Fact]
    public async Task Inbound_SMS_does_not_open_the_WhatsApp_window()
    {
        var h = Harness.Start(Booking());
        await h.Hub.DeliverAsync(Harness.Inbound("hi by sms"));

        await SendAsync(h);

        Assert.NotNull(Assert.Single(h.Loopback.SentMessages).Message.Content);
    }

    [Fact]
    public async Task After_24_hours_the_template_is_used_again()
    {
        var h = Harness.Start(Booking());
        await CallerWritesOnWhatsAppAsync(h);
        await SendAsync(h, "first");

        h.Time.Advance(TimeSpan.FromHours(24));
        await SendAsync(h, "second");

        var sent = h.Loopback.SentMessages;
        Assert.Equal(2, sent.Count);
        Assert.Equal("Booking first is confirmed.", sent[0].Message.Body);
        Assert.Null(sent[1].Message.Body);
        Assert.Equal("second", sent[1].Message.Content!.Variables["1"]);
    }

    [Fact]
    public async Task Without_a_template_and_with_the_window_closed_nothing_is_sent()
    {
        var h = Harness.Start(Booking(withTemplate: false));

        var result = await SendAsync(h);

        Assert.Equal("blocked", result.Status());
        Assert.Equal("whatsapp_window_closed", result.Reason());
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Speech.Lines);
    }

    [Fact]
    public async Task Without_a_template_free_form_works_inside_the_window()
    {
        var h = Harness.Start(Booking(withTemplate: false));
        await CallerWritesOnWhatsAppAsync(h);

        Assert.Equal("sent", (await SendAsync(h)).Status());
        Assert.Equal("Booking ab12 is confirmed.", Assert.Single(h.Loopback.SentMessages).Message.Body);
    }

    [Fact]
    public async Task Window_is_per_WhatsApp_sender()
    {
        var options = TestRuntime.Options(Booking(withTemplate: false));
        options.Senders["whatsapp2"] = new MessageSenderOptions { Provider = "Loopback", From = "+14155550197" };
        var h = Harness.Start(options);
        await h.Hub.DeliverAsync(Harness.Inbound("hi", to: "+14155550197", channel: MessageChannel.WhatsApp));

        Assert.Equal("whatsapp_window_closed", (await SendAsync(h)).Reason());
    }

    [Fact]
    public async Task Provider_window_closed_failure_on_free_form_is_retried_once_with_the_template()
    {
        var h = Harness.Start(Booking());
        await CallerWritesOnWhatsAppAsync(h);
        var attempts = new List<OutboundMessage>();
        h.Loopback.Responder = message =>
        {
            attempts.Add(message);
            return message.Body is not null
                ? SendResult.Failed(SendFailureReason.WhatsAppWindowClosed, "Outside the 24-hour window.", "63016")
                : null;
        };

        var result = await SendAsync(h);

        Assert.Equal("sent", result.Status());
        Assert.Equal(2, attempts.Count);
        Assert.NotNull(attempts[0].Body);
        Assert.Null(attempts[1].Body);
        var sent = Assert.Single(h.Loopback.SentMessages).Message;
        Assert.Equal(TemplateId, sent.Content!.TemplateId);
        Assert.Equal("ab12", sent.Content.Variables["1"]);
    }

    [Fact]
    public async Task Provider_window_closed_failure_without_a_template_is_reported()
    {
        var h = Harness.Start(Booking(withTemplate: false));
        await CallerWritesOnWhatsAppAsync(h);
        var attempts = 0;
        h.Loopback.Responder = _ =>
        {
            attempts++;
            return SendResult.Failed(SendFailureReason.WhatsAppWindowClosed, "Outside the 24-hour window.", "63016");
        };

        var result = await SendAsync(h);

        Assert.Equal("failed", result.Status());
        Assert.Equal("whatsapp_window_closed", result.Reason());
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Bodyless_WhatsApp_action_always_sends_the_template()
    {
        var action = Booking();
        action.Body = null;
        var h = Harness.Start(action);
        await CallerWritesOnWhatsAppAsync(h);

        await SendAsync(h);

        Assert.Equal(TemplateId, Assert.Single(h.Loopback.SentMessages).Message.Content!.TemplateId);
    }
}
