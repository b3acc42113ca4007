using System.Text;
using InCallMessaging.Meta.Tests.TestSupport;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Meta.Tests.Webhooks;

/// <summary>The webhook body as Meta documents it, read into the library's inbound messages and status updates.</summary>
public sealed class MetaWebhookParserTests
{
    private static readonly Uri MediaBase = new("https://graph.facebook.com/v24.0/");
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static MetaWebhookBatch Parse(byte[] body)
    {
        Assert.True(MetaWebhookParser.TryParse(body, MediaBase, Now, out var batch, out var problem), problem);
        return batch;
    }

    private static byte[] Raw(string value) => Encoding.UTF8.GetBytes(value);

    [Fact]
    public void A_text_reply_names_the_caller_the_business_number_the_number_id_and_the_message_it_answers()
    {
        var message = Assert.Single(Parse(MetaPayloads.Batch(MetaPayloads.Text("wamid.1", "482913", context: "wamid.sent"))).Messages);

        Assert.Equal("Meta", message.Provider);
        Assert.Equal("wamid.1", message.MessageId);
        Assert.Equal(MessageChannel.WhatsApp, message.Channel);
        Assert.Equal(MetaTestHost.Caller, message.From);
        Assert.Equal(MetaTestHost.BusinessNumber, message.To);
        Assert.Equal(MetaTestHost.PhoneNumberId, message.ServiceId);
        Assert.Equal("482913", message.Text);
        Assert.Equal("wamid.sent", message.InReplyToMessageId);
    }

    [Fact]
    public void A_list_reply_reads_as_the_row_the_caller_saw_and_other_kinds_still_arrive()
    {
        var list = """{"from":"14155550100","id":"wamid.list","timestamp":"1700000000","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"slot-2","title":"Tuesday 10:00","description":"Main office"}}}""";
        var location = """{"from":"14155550100","id":"wamid.loc","timestamp":"1700000000","type":"location","location":{"latitude":1.5,"longitude":2.5}}""";
        var reaction = """{"from":"14155550100","id":"wamid.react","timestamp":"1700000000","type":"reaction","reaction":{"message_id":"wamid.sent","emoji":"👍"}}""";

        var batch = Parse(MetaPayloads.Batch(list, location, reaction));

        Assert.Equal(["Tuesday 10:00", "(a location message)"], batch.Messages.Select(m => m.Text));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), batch.Messages[0].ReceivedAt);
        Assert.Contains(batch.Skipped, s => s.Contains("reaction", StringComparison.Ordinal));
    }

    [Fact]
    public void Statuses_carry_their_state_and_a_failure_its_code_meaning_and_reason()
    {
        var batch = Parse(MetaPayloads.Batch(
            MetaPayloads.Status("wamid.a", "delivered"),
            MetaPayloads.Status("wamid.b", "failed", errorCode: 131047),
            MetaPayloads.Status("wamid.c", "deleted")));

        Assert.Equal([DeliveryState.Delivered, DeliveryState.Failed], batch.Statuses.Select(s => s.State));
        var failed = batch.Statuses[1];
        Assert.Equal("131047", failed.ErrorCode);
        Assert.Equal(SendFailureReason.WhatsAppWindowClosed, failed.FailureReason);
        Assert.Equal("the 24-hour WhatsApp window had closed", failed.ErrorMessage);
        Assert.Contains(batch.Skipped, s => s.Contains("deleted", StringComparison.Ordinal));
    }

    [Fact]
    public void Changes_of_other_fields_are_left_alone_and_a_body_that_is_not_a_webhook_is_refused()
    {
        var other = Parse(Raw("""{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}}]}]}"""));

        Assert.Empty(other.Messages);
        Assert.Equal(["message_template_status_update"], other.OtherFields);
        Assert.False(MetaWebhookParser.TryParse(Raw("[1,2]"), MediaBase, Now, out _, out var problem));
        Assert.Contains("'entry' array", problem, StringComparison.Ordinal);
        Assert.False(MetaWebhookParser.TryParse(Raw("{\"entry\":"), MediaBase, Now, out _, out problem));
        Assert.Contains("not valid JSON", problem, StringComparison.Ordinal);
    }
}
