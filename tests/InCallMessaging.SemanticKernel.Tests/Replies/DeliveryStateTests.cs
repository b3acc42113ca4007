using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>
/// The core orders <see cref="DeliveryState"/>s, not provider words: a message only moves forward, whatever words its
/// provider uses, and an update that gives only a word is read in the library's own words.
/// </summary>
public sealed class DeliveryStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static CallMessage Outbound(string? status) =>
        new(MessageDirection.Outbound, MessageChannel.Sms, "SM1", "default", "+1", "x", Now, "a", status);

    [Theory]
    [InlineData(DeliveryState.Unknown, DeliveryState.Queued, true)]
    [InlineData(DeliveryState.Queued, DeliveryState.Sending, true)]
    [InlineData(DeliveryState.Sending, DeliveryState.Sent, true)]
    [InlineData(DeliveryState.Sent, DeliveryState.Canceled, true)]
    [InlineData(DeliveryState.Sent, DeliveryState.PartiallyDelivered, true)]
    [InlineData(DeliveryState.PartiallyDelivered, DeliveryState.Failed, true)]
    [InlineData(DeliveryState.Sent, DeliveryState.Undelivered, true)]
    [InlineData(DeliveryState.Failed, DeliveryState.Delivered, true)]
    [InlineData(DeliveryState.Delivered, DeliveryState.Read, true)]
    [InlineData(DeliveryState.Read, DeliveryState.Delivered, false)]
    [InlineData(DeliveryState.Delivered, DeliveryState.Failed, false)]
    [InlineData(DeliveryState.Failed, DeliveryState.Undelivered, false)]
    [InlineData(DeliveryState.Canceled, DeliveryState.PartiallyDelivered, false)]
    [InlineData(DeliveryState.Sent, DeliveryState.Queued, false)]
    [InlineData(DeliveryState.Sent, DeliveryState.Sent, false)]
    [InlineData(DeliveryState.Queued, DeliveryState.Unknown, false)]
    public void A_message_only_moves_forward_by_state(DeliveryState current, DeliveryState next, bool applied)
    {
        var message = Outbound(null);
        message.State = current;

        Assert.Equal(applied, DeliveryStatus.TryAdvance(message, next, "provider-word", null));

        Assert.Equal(applied ? next : current, message.State);
    }

    [Fact]
    public void The_ranks_follow_the_enum_order_except_where_outcomes_tie()
    {
        var ordered = Enum.GetValues<DeliveryState>().Select(DeliveryStatus.Rank).ToList();

        Assert.Equal(ordered.Order(), ordered);
        Assert.Equal(DeliveryStatus.Rank(DeliveryState.Canceled), DeliveryStatus.Rank(DeliveryState.PartiallyDelivered));
        Assert.Equal(DeliveryStatus.Rank(DeliveryState.Undelivered), DeliveryStatus.Rank(DeliveryState.Failed));
    }

    [Theory]
    [InlineData("queued", DeliveryState.Queued)]
    [InlineData("accepted", DeliveryState.Queued)]
    [InlineData("sent", DeliveryState.Sent)]
    [InlineData("Delivered", DeliveryState.Delivered)]
    [InlineData("READ", DeliveryState.Read)]
    [InlineData("undelivered", DeliveryState.Undelivered)]
    [InlineData("mystery", DeliveryState.Unknown)]
    public void An_update_that_gives_only_a_word_reads_its_state_from_it(string status, DeliveryState expected)
    {
        Assert.Equal(expected, new DeliveryStatusUpdate { MessageId = "m", Status = status }.State);
    }

    [Fact]
    public void A_message_records_the_state_of_its_first_status()
    {
        Assert.Equal(DeliveryState.Queued, Outbound("accepted").State);
        Assert.Equal(DeliveryState.Unknown, Outbound(CallMessage.UnknownStatus).State);
    }

    [Fact]
    public async Task A_provider_with_its_own_words_maps_them_and_the_hub_orders_by_state()
    {
        var summary = TestRuntime.Summary();
        summary.StatusLines = ["delivered", "failed", "undelivered"];
        var h = Harness.Start(summary);
        await h.SendSummaryAsync("Your table is booked.");
        var id = h.Loopback.SentMessages[0].MessageId;

        // A carrier that says DELIVRD and ENROUTE (SMPP words) maps them itself.
        var delivered = await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = id, Status = "DELIVRD", State = DeliveryState.Delivered });
        var late = await h.Hub.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = id, Status = "ENROUTE", State = DeliveryState.Sending });

        Assert.Equal(StatusUpdateOutcome.Applied, delivered);
        Assert.Equal(StatusUpdateOutcome.Ignored, late);
        var message = h.Session.Messages.Single(m => m.MessageId == id);
        Assert.Equal(DeliveryState.Delivered, message.State);
        Assert.Equal("delivrd", message.Status);
    }
}
