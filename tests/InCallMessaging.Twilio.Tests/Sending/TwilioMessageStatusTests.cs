using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>Every <c>MessageStatus</c> word Twilio documents maps to the library's <see cref="DeliveryState"/>.</summary>
public sealed class TwilioMessageStatusTests
{
    [Theory]
    [InlineData("queued", DeliveryState.Queued)]
    [InlineData("accepted", DeliveryState.Queued)]
    [InlineData("scheduled", DeliveryState.Queued)]
    [InlineData("sending", DeliveryState.Sending)]
    [InlineData("sent", DeliveryState.Sent)]
    [InlineData("delivered", DeliveryState.Delivered)]
    [InlineData("undelivered", DeliveryState.Undelivered)]
    [InlineData("failed", DeliveryState.Failed)]
    [InlineData("read", DeliveryState.Read)]
    [InlineData("canceled", DeliveryState.Canceled)]
    [InlineData("partially_delivered", DeliveryState.PartiallyDelivered)]
    [InlineData("receiving", DeliveryState.Unknown)]
    [InlineData("received", DeliveryState.Unknown)]
    [InlineData("something_new", DeliveryState.Unknown)]
    public void Maps_each_twilio_status_word(string word, DeliveryState expected)
    {
        Assert.Equal(expected, TwilioMessageStatus.ToState(word));
    }
}
