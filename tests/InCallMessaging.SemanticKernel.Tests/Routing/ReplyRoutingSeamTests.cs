using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Routing;

/// <summary>
/// The hub's side of the routing seam (issue 14), with two instances in one process sharing their stores and a routing
/// table (<see cref="TableRouter"/>, the shape a Redis router gives the same contract): what reaches the instance that
/// does not hold the call is handed to the one that does, once.
/// </summary>
public sealed class ReplyRoutingSeamTests : IDisposable
{
    private readonly InMemoryConsentStore _consent = new();
    private readonly InMemoryMessageLog _log = new();
    private readonly InMemoryDeduplicationStore _dedupe = new();
    private readonly FakeTimeProvider _time = new(Harness.Start0);
    private readonly RoutingTable _table = new();
    private readonly List<ServiceProvider> _instances = [];

    public void Dispose()
    {
        foreach (var instance in _instances)
        {
            instance.Dispose();
        }
    }

    private InCallMessagingRuntime Instance(string name, IAfterCallReplyHandler? afterCall = null)
    {
        var services = new ServiceCollection().AddLogging()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton<IConsentStore>(_consent).AddSingleton<IMessageLog>(_log).AddSingleton<IDeduplicationStore>(_dedupe);
        var router = new TableRouter(name, _table);
        services.AddSingleton<IReplyRouter>(router);
        if (afterCall is not null)
        {
            services.AddSingleton(afterCall);
        }

        services.AddInCallMessaging(o =>
        {
            o.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = TestRuntime.Agent };
            o.Actions.Add(TestRuntime.Otp(wait: true));
            o.Actions.Add(TestRuntime.Summary());
        });
        var provider = services.BuildServiceProvider();
        _instances.Add(provider);
        _table.Owners[name] = provider.GetRequiredService<IHandedOffReplyDelivery>();
        return provider.GetRequiredService<InCallMessagingRuntime>();
    }

    private static Task<FunctionResult> InvokeAsync(InCallMessagingRuntime runtime, CallSession session, string function, KernelArguments arguments)
    {
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        return kernel.WithCallSession(session).InvokeAsync(runtime.Plugin[function], arguments);
    }

    [Fact]
    public async Task A_reply_that_reaches_the_other_instance_resumes_the_waiting_action_on_the_owner()
    {
        var a = Instance("A");
        var b = Instance("B");
        var call = a.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        var waiting = InvokeAsync(a, call, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.Loopback!.WaitForMessageAsync(m => m.Message.CallId == "CA1").WaitAsync(Harness.Safety);

        var outcome = await b.Replies.DeliverAsync(Harness.Inbound("123456", id: "SM00000000000000000000000000000101", inReplyTo: sent.MessageId));

        Assert.Equal(ReplyDeliveryOutcome.HandedOff, outcome);
        var result = (await waiting.WaitAsync(Harness.Safety)).GetValue<string>()!;
        Assert.Contains("\"status\":\"replied\"", result, StringComparison.Ordinal);
        Assert.Equal("123456", call.GetVariable("sms_reply"));
        Assert.Equal("CA1", (await _log.FindAsync("SM00000000000000000000000000000101"))?.CallId);
    }

    [Fact]
    public async Task The_same_reply_at_both_instances_at_once_is_delivered_once()
    {
        var a = Instance("A");
        var b = Instance("B");
        var call = a.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(a, call, "send_summary", new() { ["message"] = "Your order ships Monday." });
        var reply = Harness.Inbound("thanks", id: "SM00000000000000000000000000000102");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => (i % 2 == 0 ? a : b).Replies.DeliverAsync(reply).AsTask()));

        // Once in effect: the owner's hand-off delivery is idempotent on the message id, whichever instance got there first.
        Assert.Equal(1, call.RepliesReceived);
        Assert.Single(call.Messages, m => m.MessageId == reply.MessageId);
        Assert.Contains(outcomes, o => o is ReplyDeliveryOutcome.DeliveredToCall or ReplyDeliveryOutcome.HandedOff);
        Assert.True(outcomes.Count(o => o == ReplyDeliveryOutcome.Duplicate) >= 6);
    }

    [Fact]
    public async Task A_failed_status_at_the_other_instance_ends_the_wait_on_the_owner()
    {
        var a = Instance("A");
        var b = Instance("B");
        var call = a.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        var waiting = InvokeAsync(a, call, "send_otp", new() { ["otp_code"] = "123456" });
        var sent = await a.Loopback!.WaitForMessageAsync(m => m.Message.CallId == "CA1").WaitAsync(Harness.Safety);

        var outcome = await b.Replies.ApplyStatusAsync(new DeliveryStatusUpdate { MessageId = sent.MessageId, Status = "failed", ErrorCode = "30003" });

        Assert.Equal(StatusUpdateOutcome.HandedOff, outcome);
        var result = (await waiting.WaitAsync(Harness.Safety)).GetValue<string>()!;
        Assert.DoesNotContain("\"status\":\"replied\"", result, StringComparison.Ordinal);
        Assert.Contains("30003", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_live_owner_the_instance_that_received_it_takes_the_after_call_path()
    {
        var a = Instance("A");
        var seen = new ConcurrentQueue<CallSession>();
        var b = Instance("B", new RecordingAfterCall(seen));
        var call = a.Calls.StartCall("CA1", TestRuntime.Caller, TestRuntime.Agent);
        await InvokeAsync(a, call, "send_summary", new() { ["message"] = "Your order ships Monday." });
        a.Calls.EndCall("CA1");

        var outcome = await b.Replies.DeliverAsync(Harness.Inbound("one more thing"));

        Assert.Equal(ReplyDeliveryOutcome.DeliveredAfterCall, outcome);
        Assert.Equal("CA1", Assert.Single(seen).CallId);
    }

    /// <summary>What a shared routing store holds: owners of live calls, and the calls messages and conversations belong to.</summary>
    private sealed class RoutingTable
    {
        public ConcurrentDictionary<string, IHandedOffReplyDelivery> Owners { get; } = new();

        public ConcurrentDictionary<string, string> OwnerOfCall { get; } = new();

        public ConcurrentDictionary<string, string> CallOfMessage { get; } = new();

        public ConcurrentDictionary<CallerConversation, string> CallOfConversation { get; } = new();

        public ConcurrentDictionary<string, byte> Seen { get; } = new();
    }

    /// <summary>A router over the shared table: deduplicates and finds the owner in one step, then hands the message over.</summary>
    private sealed class TableRouter(string self, RoutingTable table) : IReplyRouter
    {
        public void CallStarted(CallSession session) => table.OwnerOfCall[session.CallId] = self;

        public void CallEnded(CallSession session) => table.OwnerOfCall.TryRemove(new KeyValuePair<string, string>(session.CallId, self));

        public void MessageSent(CallSession session, CallMessage message, CallerConversation conversation)
        {
            table.CallOfMessage[message.MessageId] = session.CallId;
            table.CallOfConversation[conversation] = session.CallId;
        }

        public async ValueTask<RouteResult> RouteInboundAsync(InboundMessage message, CallerConversation conversation, CancellationToken cancellationToken)
        {
            var callId = message.InReplyToMessageId is { } id && table.CallOfMessage.TryGetValue(id, out var byMessage) ? byMessage
                : table.CallOfConversation.GetValueOrDefault(conversation);
            if (callId is null || !table.OwnerOfCall.TryGetValue(callId, out var owner) || owner == self)
            {
                return RouteResult.NotRouted;
            }

            if (!table.Seen.TryAdd("in:" + message.MessageId, 0))
            {
                return RouteResult.Duplicate;
            }

            await table.Owners[owner].DeliverHandedOffAsync(message, cancellationToken);
            return RouteResult.HandedOff;
        }

        public async ValueTask<RouteResult> RouteStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken)
        {
            if (!table.CallOfMessage.TryGetValue(update.MessageId, out var callId) || !table.OwnerOfCall.TryGetValue(callId, out var owner) || owner == self)
            {
                return RouteResult.NotRouted;
            }

            if (!table.Seen.TryAdd($"status:{update.MessageId}:{update.Status}", 0))
            {
                return RouteResult.Duplicate;
            }

            await table.Owners[owner].ApplyHandedOffStatusAsync(update, cancellationToken);
            return RouteResult.HandedOff;
        }
    }

    private sealed class RecordingAfterCall(ConcurrentQueue<CallSession> seen) : IAfterCallReplyHandler
    {
        public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            seen.Enqueue(session);
            return Task.CompletedTask;
        }
    }
}
