using InCallMessaging.AspNetCore.Twilio;
using InCallMessaging.SemanticKernel;
using System.Text;
using InCallMessaging.Twilio;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.AspNetCore.Tests.Twilio;

public sealed class TwilioWebhookParserTests
{
    private const string Sm1 = "SM00000000000000000000000000000001";
    private const string Sm0 = "SM0123456789abcdef0123456789ABCDEF";
    private const string Sm9 = "SM99999999999999999999999999999999";
    private const string Mm1 = "MM00000000000000000000000000000001";
    private const string Mg1 = "MG0123456789abcdef0123456789abcdef";
    private const string Ac1 = "AC0123456789abcdef0123456789abcdef";
    /// <summary>A form body as Twilio posts it: the fields URL-encoded, then decoded by the production parser.</summary>
    private static FormBody Form(params (string Key, string Value)[] fields)
    {
        var body = string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
        Assert.True(FormBody.TryParse(Encoding.UTF8.GetBytes(body), out var form, out var problem), problem);
        return form;
    }

    [Fact]
    public void An_sms_is_parsed_and_unknown_parameters_are_ignored()
    {
        var form = Form(("MessageSid", Sm1), ("From", "+14155550100"), ("To", "+15005550006"), ("Body", "  Hello\n"),
            ("MessagingServiceSid", Mg1), ("OptOutType", "STOP"), ("OriginalRepliedMessageSid", Sm0), ("SomethingNew", "x"));

        Assert.True(TwilioWebhookParser.TryParseInbound(form, out var message, out var problem));

        Assert.Null(problem);
        Assert.Equal("Twilio", message!.Provider);
        Assert.Equal(Sm1, message.MessageId);
        Assert.Equal(MessageChannel.Sms, message.Channel);
        Assert.Equal("+14155550100", message.From);
        Assert.Equal("+15005550006", message.To);
        Assert.Equal("  Hello\n", message.Text);
        Assert.Equal(Mg1, message.ServiceId);
        Assert.Equal("STOP", message.OptOutType);
        Assert.Equal(Sm0, message.InReplyToMessageId);
        Assert.Empty(message.Media);
        Assert.Null(message.SenderName);
    }

    [Fact]
    public void WhatsApp_prefixes_are_stripped_and_the_channel_set()
    {
        var form = Form(("MessageSid", Sm1), ("From", "whatsapp:+14155550100"), ("To", "WhatsApp:+15005550006"));

        Assert.True(TwilioWebhookParser.TryParseInbound(form, out var message, out _));

        Assert.Equal(MessageChannel.WhatsApp, message!.Channel);
        Assert.Equal("+14155550100", message.From);
        Assert.Equal("+15005550006", message.To);
        Assert.Equal("", message.Text);
    }

    [Fact]
    public void SmsMessageSid_stands_in_for_MessageSid()
    {
        var form = Form(("SmsMessageSid", Sm9), ("From", "+14155550100"), ("To", "+15005550006"));

        Assert.True(TwilioWebhookParser.TryParseInbound(form, out var message, out _));

        Assert.Equal(Sm9, message!.MessageId);
    }

    [Fact]
    public void Media_are_read_in_order_with_their_types()
    {
        var form = Form(("MessageSid", Mm1), ("From", "+14155550100"), ("To", "+15005550006"), ("NumMedia", "2"),
            ("MediaUrl0", "https://api.twilio.com/m/0"), ("MediaContentType0", "image/jpeg"),
            ("MediaUrl1", "https://api.twilio.com/m/1"));

        Assert.True(TwilioWebhookParser.TryParseInbound(form, out var message, out _));

        Assert.Collection(message!.Media,
            m => Assert.Equal((new Uri("https://api.twilio.com/m/0"), "image/jpeg"), (m.Url, m.ContentType)),
            m => Assert.Equal((new Uri("https://api.twilio.com/m/1"), "application/octet-stream"), (m.Url, m.ContentType)));
    }

    [Fact]
    public void Without_NumMedia_the_numbered_fields_present_are_taken()
    {
        var form = Form(("MessageSid", Mm1), ("From", "+14155550100"), ("To", "+15005550006"), ("MediaUrl0", "https://x.test/0"));

        Assert.True(TwilioWebhookParser.TryParseInbound(form, out var message, out _));

        Assert.Single(message!.Media);
    }

    [Theory]
    [InlineData("NumMedia", "-1", "'NumMedia'")]
    [InlineData("NumMedia", "2", "'MediaUrl1'")]
    [InlineData("MediaUrl0", "file:///etc/passwd", "'MediaUrl0'")]
    [InlineData("From", "whatsapp:", "'From'")]
    public void Bad_fields_are_named(string field, string value, string expected)
    {
        var fields = new Dictionary<string, string>
        {
            ["MessageSid"] = Mm1, ["From"] = "+14155550100", ["To"] = "+15005550006", ["NumMedia"] = "1", ["MediaUrl0"] = "https://x.test/0",
        };
        fields[field] = value;

        Assert.False(TwilioWebhookParser.TryParseInbound(Form([.. fields.Select(f => (f.Key, f.Value))]), out var message, out var problem));

        Assert.Null(message);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_status_callback_is_parsed()
    {
        var form = Form(("MessageSid", Sm1), ("MessageStatus", "Undelivered"), ("ErrorCode", "30005"), ("SmsStatus", "undelivered"));

        Assert.True(TwilioWebhookParser.TryParseStatus(form, out var update, out _));

        Assert.Equal(Sm1, update!.MessageId);
        Assert.Equal("undelivered", update.Status);
        Assert.Equal(InCallMessaging.SemanticKernel.DeliveryState.Undelivered, update.State);
        Assert.Equal("30005", update.ErrorCode);
        // Twilio's status callback names no meaning: the code's documented one is filled in for the agent.
        Assert.Equal("the number is unknown or no longer in service", update.ErrorMessage);
        Assert.Equal(SendFailureReason.InvalidRecipient, update.FailureReason);
    }

    [Fact]
    public void A_whatsapp_window_failure_is_classified()
    {
        var form = Form(("MessageSid", Sm1), ("MessageStatus", "failed"), ("ErrorCode", "63016"));

        Assert.True(TwilioWebhookParser.TryParseStatus(form, out var update, out _));

        Assert.Equal(SendFailureReason.WhatsAppWindowClosed, update!.FailureReason);
    }

    [Fact]
    public void An_empty_error_code_is_no_error_code()
    {
        var form = Form(("MessageSid", Sm1), ("MessageStatus", "delivered"), ("ErrorCode", ""));

        Assert.True(TwilioWebhookParser.TryParseStatus(form, out var update, out _));

        Assert.Null(update!.ErrorCode);
    }

    [Theory]
    [InlineData("MessageSid", "SM1")]
    [InlineData("MessageSid", "sm00000000000000000000000000000001")]
    [InlineData("MessageSid", "S100000000000000000000000000000001")]
    [InlineData("MessageSid", "SM0000000000000000000000000000000g")]
    [InlineData("MessageSid", "SM000000000000000000000000000000001")]
    [InlineData("MessageSid", "SM0000000000000000000000000000000")]
    [InlineData("MessageSid", "SM00000000000000000000000000000001\r\nINFO forged log line")]
    [InlineData("MessageSid", "ＳＭ00000000000000000000000000000001")]
    [InlineData("AccountSid", "AC1")]
    [InlineData("MessagingServiceSid", "MG1")]
    [InlineData("OriginalRepliedMessageSid", "SM-0000000000000000000000000000001")]
    public void An_inbound_message_with_a_malformed_sid_is_refused_and_the_field_named(string field, string value)
    {
        var fields = new Dictionary<string, string>
        {
            ["MessageSid"] = Sm1, ["AccountSid"] = Ac1, ["From"] = "+14155550100", ["To"] = "+15005550006", ["Body"] = "hi",
        };
        fields[field] = value;

        Assert.False(TwilioWebhookParser.TryParseInbound(Form([.. fields.Select(f => (f.Key, f.Value))]), out var message, out var problem));

        Assert.Null(message);
        Assert.Equal($"Form field '{field}' is not a Twilio SID (two capital letters and 32 hex digits).", problem);
    }

    [Fact]
    public void A_malformed_SmsMessageSid_is_refused_when_it_stands_in_for_MessageSid()
    {
        var form = Form(("SmsMessageSid", "SM9"), ("From", "+14155550100"), ("To", "+15005550006"));

        Assert.False(TwilioWebhookParser.TryParseInbound(form, out _, out var problem));

        Assert.Contains("'SmsMessageSid'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Blank_optional_sids_are_absent_and_well_formed_ones_accepted_in_either_hex_case()
    {
        var form = Form(("MessageSid", "MM0123456789ABCDEF0123456789abcdef"), ("AccountSid", ""), ("MessagingServiceSid", " "),
            ("OriginalRepliedMessageSid", Sm0), ("From", "+14155550100"), ("To", "+15005550006"));

        Assert.True(TwilioWebhookParser.TryParseInbound(form, out var message, out var problem), problem);

        Assert.Null(message!.ServiceId);
        Assert.Equal(Sm0, message.InReplyToMessageId);
    }

    [Theory]
    [InlineData("MessageSid", "SM1")]
    [InlineData("MessageSid", "SM00000000000000000000000000000001 extra")]
    [InlineData("AccountSid", "ACxyz")]
    [InlineData("MessagingServiceSid", "not-a-sid")]
    public void A_status_callback_with_a_malformed_sid_is_refused(string field, string value)
    {
        var fields = new Dictionary<string, string> { ["MessageSid"] = Sm1, ["AccountSid"] = Ac1, ["MessageStatus"] = "delivered" };
        fields[field] = value;

        Assert.False(TwilioWebhookParser.TryParseStatus(Form([.. fields.Select(f => (f.Key, f.Value))]), out var update, out var problem));

        Assert.Null(update);
        Assert.Contains($"'{field}' is not a Twilio SID", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_status_callback_falls_back_to_a_well_formed_SmsSid()
    {
        var form = Form(("SmsSid", Sm9), ("SmsStatus", "sent"));

        Assert.True(TwilioWebhookParser.TryParseStatus(form, out var update, out var problem), problem);

        Assert.Equal(Sm9, update!.MessageId);
    }
}
