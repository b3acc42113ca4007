using System.Text.Json;
using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// Two instances (two generic hosts, each its own DI container with the plugin, the Redis store and Redis routing) over
/// one real redis-server: a reply or status that reaches the instance without the call is handed to the one with it.
/// Every wait has a generous safety timeout; nothing asserts on timing.
/// </summary>
public sealed class RedisReplyRouterTests(RedisServerFixture redis) : RoutingTests(redis)
{
    private Task<RoutedInstance> StartAsync(string id, TimeSpan? lease = null, RedisServer? server = null) =>
        Instances.StartAsync(id, lease, server);

    [Fact]
    public async Task A_reply_delivered_to_B_reaches_the_action_waiting_on_A()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.WaitForSentAsync(session);

        var outcome = await b.Runtime.Replies.DeliverAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "it is 123456", inReplyTo: sent.MessageId));

        Assert.Equal(ReplyDeliveryOutcome.HandedOff, outcome);
        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"replied\"", result, StringComparison.Ordinal);
        Assert.Contains("it is 123456", result, StringComparison.Ordinal);
        Assert.Empty(b.AfterCall.Replies);
    }

    [Fact]
    public async Task A_reply_that_names_no_message_finds_the_call_by_its_conversation()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        await a.WaitForSentAsync(session);

        Assert.Equal(ReplyDeliveryOutcome.HandedOff, await b.Runtime.Replies.DeliverAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "yes")));

        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"replied\"", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_message_delivered_to_A_and_B_at_once_is_delivered_once()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.Router.FlushAsync();

        var sids = Enumerable.Range(0, 5).Select(_ => RoutedInstance.NewSid()).ToArray();
        foreach (var sid in sids)
        {
            var reply = RoutedInstance.Reply(sid, "hello " + sid);
            var outcomes = await Task.WhenAll(
                Task.Run(async () => await a.Runtime.Replies.DeliverAsync(reply)),
                Task.Run(async () => await b.Runtime.Replies.DeliverAsync(reply)));
            Assert.Contains(outcomes[1], new[] { ReplyDeliveryOutcome.HandedOff, ReplyDeliveryOutcome.Duplicate });
        }

        await WaitForEmptyInboxAsync("A");
        foreach (var sid in sids)
        {
            Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound && m.MessageId == sid);
        }

        Assert.Empty(a.AfterCall.Replies);
        Assert.Empty(b.AfterCall.Replies);
    }

    [Fact]
    public async Task A_failed_status_delivered_to_B_ends_the_wait_on_A()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.WaitForSentAsync(session);

        var outcome = await b.Runtime.Replies.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = sent.MessageId, Status = "failed", ErrorCode = "30003" });

        Assert.Equal(StatusUpdateOutcome.HandedOff, outcome);
        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"failed\"", result, StringComparison.Ordinal);
        Assert.Equal(StatusUpdateOutcome.Ignored,
            await b.Runtime.Replies.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = sent.MessageId, Status = "failed", ErrorCode = "30003" }));
    }

    [Fact]
    public async Task A_reply_to_a_call_that_ended_on_A_takes_the_after_call_path_on_B()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        var sent = await a.WaitForSentAsync(session);
        a.Runtime.Calls.EndCall("CA1");
        await a.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);

        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "thanks", inReplyTo: sent.MessageId);
        var outcome = await b.Runtime.Replies.DeliverAsync(reply);

        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        var (callId, handled) = Assert.Single(b.AfterCall.Replies);
        Assert.Equal("CA1", callId);
        Assert.Equal(reply.MessageId, handled.MessageId);
        Assert.Empty(a.AfterCall.Replies);
        Assert.Equal(ReplyDeliveryOutcome.Duplicate, await b.Runtime.Replies.DeliverAsync(reply));
    }

    [Fact]
    public async Task A_reply_to_the_call_of_an_instance_that_is_gone_takes_the_after_call_path_once_its_lease_lapses()
    {
        var a = await StartAsync("A", lease: TimeSpan.FromSeconds(1));
        var b = await StartAsync("B");
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        await a.InvokeAsync(session, "send_summary", new()).WaitAsync(RoutedInstance.Patience);
        await a.WaitForSentAsync(session);
        await a.DisposeAsync();
        await WaitUntilAsync(async database => !await database.KeyExistsAsync(Instances.Prefix + "call:CA1:owner"));

        var outcome = await b.Runtime.Replies.DeliverAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "thanks"));

        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        Assert.Equal("CA1", Assert.Single(b.AfterCall.Replies).CallId);
    }

    [Fact]
    public async Task A_reply_from_a_caller_with_no_call_anywhere_is_unmatched_on_B()
    {
        await StartAsync("A");
        var b = await StartAsync("B");

        var outcome = await b.Runtime.Replies.DeliverAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "who is this?"));

        Assert.Equal(ReplyDeliveryOutcome.Unmatched, outcome);
    }

    [Fact]
    public async Task With_Redis_killed_a_hand_off_fails_with_a_StateStoreException()
    {
        await using var server = await RedisServer.StartAsync();
        var b = await StartAsync("B", server: server);
        var conversation = new CallerConversation(MessageChannel.Sms, CallerKeys.Of(RoutedInstance.Caller), RoutedInstance.Agent);
        Assert.Equal(RouteResult.NotRouted,
            await b.Router.RouteInboundAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "hi"), conversation, CancellationToken.None));

        await server.KillAsync();

        var failure = await Assert.ThrowsAsync<StateStoreException>(async () =>
            await b.Router.RouteInboundAsync(RoutedInstance.Reply(RoutedInstance.NewSid(), "hi"), conversation, CancellationToken.None));
        Assert.Contains(server.ConnectionString, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_Redis_restarts_a_reply_handed_off_through_B_still_reaches_the_action_waiting_on_A()
    {
        await using var server = await RedisServer.StartAsync();
        var a = await StartAsync("A", server: server);
        var b = await StartAsync("B", server: server);
        var session = a.Runtime.Calls.StartCall("CA1", RoutedInstance.Caller, RoutedInstance.Agent);
        var invocation = a.InvokeAsync(session, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.WaitForSentAsync(session);

        await server.RestartAsync();

        // The webhook answers 503 while B reconnects, and the provider retries: so does this test, until it is handed off.
        var reply = RoutedInstance.Reply(RoutedInstance.NewSid(), "it is 123456", inReplyTo: sent.MessageId);
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        ReplyDeliveryOutcome outcome;
        while (true)
        {
            try
            {
                outcome = await b.Runtime.Replies.DeliverAsync(reply, patience.Token);
                break;
            }
            catch (StateStoreException)
            {
                await Task.Delay(50, patience.Token);
            }
        }

        // Duplicate only when an attempt was handed off but its answer was lost with the old connection.
        Assert.Contains(outcome, new[] { ReplyDeliveryOutcome.HandedOff, ReplyDeliveryOutcome.Duplicate });
        var result = (await invocation.WaitAsync(RoutedInstance.Patience)).GetValue<string>()!;
        Assert.Contains("\"status\":\"replied\"", result, StringComparison.Ordinal);
    }

    [Fact]
    public void A_handed_off_message_and_status_round_trip_through_their_JSON()
    {
        var message = new InboundMessage
        {
            Provider = "Twilio",
            MessageId = "SM1",
            Channel = MessageChannel.WhatsApp,
            From = "+14155550100",
            To = "+14155550198",
            ServiceId = "MG1",
            SenderName = "whatsapp",
            Text = "see \"attached\" \u00e9",
            Media = [new InboundMedia(new Uri("https://api.twilio.com/media/ME1"), "image/jpeg")],
            InReplyToMessageId = "SM0",
            OptOutType = "STOP",
            ReceivedAt = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.FromHours(1)),
        };
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(message, RoutingJsonContext.Default.InboundMessage), RoutingJsonContext.Default.InboundMessage)!;
        var none = Array.Empty<InboundMedia>();
        Assert.Equal(message with { Media = none }, back with { Media = none });
        Assert.Equal(message.Media, back.Media);

        var update = new DeliveryStatusUpdate
        {
            MessageId = "SM2",
            Status = "undelivered",
            State = DeliveryState.Failed,
            ErrorCode = "63016",
            ErrorMessage = "window closed",
            ClientReference = "ref-1",
            FailureReason = SendFailureReason.WhatsAppWindowClosed,
        };
        var status = JsonSerializer.Deserialize(JsonSerializer.Serialize(update, RoutingJsonContext.Default.DeliveryStatusUpdate), RoutingJsonContext.Default.DeliveryStatusUpdate)!;
        Assert.Equal(update, status);
    }

    private async Task WaitForEmptyInboxAsync(string instance) =>
        await WaitUntilAsync(async database => await database.StreamLengthAsync(Instances.Prefix + "inbox:" + instance) == 0);

    private async Task WaitUntilAsync(Func<IDatabase, Task<bool>> condition)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.Server.ConnectionString);
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        while (!await condition(connection.GetDatabase()))
        {
            await Task.Delay(20, patience.Token);
        }
    }
}
