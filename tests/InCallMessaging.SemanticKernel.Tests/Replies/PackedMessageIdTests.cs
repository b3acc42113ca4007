using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>Message ids kept as values: a Twilio SID round-trips exactly, anything else stays the string it was.</summary>
public sealed class PackedMessageIdTests
{
    [Theory]
    [InlineData("SM0123456789abcdef0123456789abcdef")]
    [InlineData("MM00000000000000000000000000000000")]
    [InlineData("SMffffffffffffffffffffffffffffffff")]
    public void A_sid_round_trips(string text)
    {
        Assert.True(HexMessageId.TryParse(text, out var sid));

        Assert.Equal(text, sid.ToString());
        Assert.Equal(text, PackedMessageId.From(text).ToString());
    }

    [Theory]
    [InlineData("SM0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("sm0123456789abcdef0123456789abcdef")]
    [InlineData("SM0123456789abcdef0123456789abcde")]
    [InlineData("SM0123456789abcdef0123456789abcdef0")]
    [InlineData("SM0123456789abcdeg0123456789abcdef")]
    [InlineData("custom-42")]
    [InlineData("")]
    public void Anything_else_is_not_a_sid_and_is_kept_as_written(string text)
    {
        Assert.False(HexMessageId.TryParse(text, out _));
        Assert.Equal(text, PackedMessageId.From(text).ToString());
    }

    [Fact]
    public async Task Received_messages_keep_their_ids_exactly()
    {
        var h = Harness.Start(TestRuntime.Summary());
        await h.SendSummaryAsync("Your summary");
        string[] ids = ["SM0123456789abcdef0123456789abcdef", "SM0123456789ABCDEF0123456789ABCDEF", "custom-42"];

        foreach (var id in ids)
        {
            await h.Hub.DeliverAsync(Harness.Inbound("text " + id, id: id));
        }

        Assert.Equal(ids, h.Session.Messages.Where(m => m.Direction == MessageDirection.Inbound).Select(m => m.MessageId));
    }
}
