using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;

namespace InCallMessaging.SemanticKernel.Tests.Core.Sending;

/// <summary>The in-process provider used by development, tests and the simulator.</summary>
public sealed class LoopbackMessageProviderTests
{
    private static OutboundMessage Message(string body) => new()
    {
        SenderName = "default",
        Sender = new MessageSenderOptions { From = TestRuntime.Agent },
        Channel = MessageChannel.Sms,
        To = TestRuntime.Caller,
        Body = body,
        CallId = "CA1",
        ActionName = "send_summary",
        ClientReference = "ref",
    };

    [Fact]
    public async Task Records_messages_with_unique_ids_and_raises_the_event()
    {
        var loopback = new LoopbackMessageProvider();
        var raised = new List<LoopbackMessage>();
        loopback.MessageSent += (_, m) => raised.Add(m);

        var first = await loopback.SendAsync(Message("a"), CancellationToken.None);
        var second = await loopback.SendAsync(Message("b"), CancellationToken.None);

        Assert.True(first.Succeeded);
        Assert.Equal("queued", first.Status);
        Assert.NotEqual(first.MessageId, second.MessageId);
        Assert.StartsWith("LB", first.MessageId, StringComparison.Ordinal);
        Assert.Equal(["a", "b"], loopback.SentMessages.Select(m => m.Message.Body));
        Assert.Equal(loopback.SentMessages, raised);
    }

    [Fact]
    public async Task Responder_failure_is_returned_and_not_recorded()
    {
        var loopback = new LoopbackMessageProvider
        {
            Responder = m => m.Body == "bad" ? SendResult.Failed(SendFailureReason.Rejected, "no") : null,
        };

        var failed = await loopback.SendAsync(Message("bad"), CancellationToken.None);
        var ok = await loopback.SendAsync(Message("good"), CancellationToken.None);

        Assert.Equal(SendFailureReason.Rejected, failed.Failure);
        Assert.True(ok.Succeeded);
        Assert.Equal("good", Assert.Single(loopback.SentMessages).Message.Body);
    }

    [Fact]
    public async Task WaitForMessage_completes_for_a_past_or_a_future_match()
    {
        var loopback = new LoopbackMessageProvider();
        await loopback.SendAsync(Message("past"), CancellationToken.None);

        var past = await loopback.WaitForMessageAsync(m => m.Message.Body == "past").WaitAsync(Harness.Safety);
        var future = loopback.WaitForMessageAsync(m => m.Message.Body == "future");
        Assert.False(future.IsCompleted);
        await loopback.SendAsync(Message("other"), CancellationToken.None);
        Assert.False(future.IsCompleted);
        await loopback.SendAsync(Message("future"), CancellationToken.None);

        Assert.Equal("past", past.Message.Body);
        Assert.Equal("future", (await future.WaitAsync(Harness.Safety)).Message.Body);
    }

    [Fact]
    public async Task Cancelled_send_throws()
    {
        var loopback = new LoopbackMessageProvider();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await loopback.SendAsync(Message("x"), new CancellationToken(canceled: true)));
        Assert.Empty(loopback.SentMessages);
    }

    [Fact]
    public async Task Reply_without_a_hub_explains_how_to_attach_one()
    {
        var loopback = new LoopbackMessageProvider();
        await loopback.SendAsync(Message("x"), CancellationToken.None);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(async () => await loopback.ReplyAsync(loopback.SentMessages[0], "hi"));

        Assert.Contains("InCallMessagingRuntime.Create", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_attaches_a_supplied_loopback_to_its_hub()
    {
        var loopback = new LoopbackMessageProvider();

        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Summary()), providers: [loopback]);

        Assert.Same(loopback, runtime.Loopback);
        Assert.Same(runtime.Replies, loopback.Hub);
    }
}
