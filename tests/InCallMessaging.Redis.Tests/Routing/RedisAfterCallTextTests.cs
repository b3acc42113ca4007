using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// After-call texts with several instances on one Redis: kept in Redis until their call ends, sent once by the instance
/// that ends the call, never by another instance while the call is live there, and by a live instance (or the same
/// instance restarted) when the call's instance stopped and did not come back. Real redis-server, in-process instances;
/// waits have generous safety timeouts and nothing asserts on timing.
/// </summary>
public sealed class RedisAfterCallTextTests(RedisServerFixture redis) : RoutingTests(redis)
{
    private static readonly string Confirmation = AfterCallActions.ConfirmationText("Friday");
    /// <summary>An instance with an after-call confirmation action, sweeping for ended calls' texts every <paramref name="sweep"/>.</summary>
    private Task<RoutedInstance> StartAsync(string id, TimeSpan? sweep = null) =>
        Instances.StartAsync(id, configure: services => services.Configure<InCallMessagingOptions>(options =>
        {
            options.Actions.Add(AfterCallActions.Confirmation());
            options.ScheduledTextSweepInterval = sweep ?? TimeSpan.FromMinutes(1);
        }));

    /// <summary>Starts a call on <paramref name="instance"/>, schedules its confirmation, and waits until its claim is in Redis.</summary>
    private static async Task<CallSession> ScheduleAsync(RoutedInstance instance, string callId)
    {
        var session = instance.Runtime.Calls.StartCall(callId, RoutedInstance.Caller, RoutedInstance.Agent);
        var result = await instance.InvokeAsync(session, "send_confirmation", new KernelArguments { ["day"] = "Friday" }).WaitAsync(RoutedInstance.Patience);
        Assert.Equal("scheduled", (string?)JsonNode.Parse(result.GetValue<string>()!)!["status"]);
        await instance.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);
        return session;
    }

    private static async Task<LoopbackMessage> WaitForTextAsync(RoutedInstance instance)
    {
        using var patience = new CancellationTokenSource(RoutedInstance.Patience);
        return await instance.Runtime.Loopback!.WaitForMessageAsync(cancellationToken: patience.Token);
    }

    [Fact]
    public async Task A_text_of_a_call_live_on_another_instance_waits_for_its_end_and_is_sent_once_by_its_own_instance()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var session = await ScheduleAsync(a, "CA1");

        // B sweeps for ended calls' texts (as at its start-up and every interval): the call is live on A, so it waits.
        Assert.Equal(0, await b.Runtime.SendScheduledTextsAsync());
        Assert.Single(await a.Store.GetPendingAsync("CA1"));
        Assert.Empty(a.Runtime.Loopback!.SentMessages);

        Assert.True(a.Runtime.Calls.EndCall(session.CallId));
        var sent = await WaitForTextAsync(a);

        Assert.Equal((Confirmation, RoutedInstance.Caller), (sent.Message.Body, sent.Message.To));
        Assert.Equal(0, await b.Runtime.SendScheduledTextsAsync());
        Assert.Equal(0, await a.Runtime.SendScheduledTextsAsync());
        Assert.Empty(b.Runtime.Loopback!.SentMessages);
        Assert.Single(a.Runtime.Loopback.SentMessages);
        Assert.Empty(await a.Store.GetPendingAsync(null));
        Assert.Equal(sent.MessageId, Assert.Single(await a.Store.GetCallAsync("CA1")).MessageId);
    }

    [Fact]
    public async Task The_text_of_a_call_whose_instance_died_is_sent_once_by_a_live_instance_when_its_claim_lapses()
    {
        var a = await StartAsync("A");
        var session = await ScheduleAsync(a, "CA2");

        // A hangs mid-call: no renewals, no release. Its claim is held here until the test lets it lapse.
        await a.Router.HaltAsync();
        var owner = (RedisKey)(Instances.Prefix + "call:CA2:owner");
        Assert.True(await Database.KeyPersistAsync(owner));
        var b = await StartAsync("B", sweep: TimeSpan.FromSeconds(1));
        var c = await StartAsync("C", sweep: TimeSpan.FromSeconds(1));

        // While A's claim holds, the call counts as live: nobody sends its text.
        Assert.Equal(0, await b.Runtime.SendScheduledTextsAsync());
        Assert.Equal(0, await c.Runtime.SendScheduledTextsAsync());
        Assert.Single(await b.Store.GetPendingAsync("CA2"));

        // The claim lapses: B's and C's sweeps (every second) find the call ended; exactly one of them sends.
        Assert.True(await Database.KeyDeleteAsync(owner));
        var sent = await Task.WhenAny(WaitForTextAsync(b), WaitForTextAsync(c)).Unwrap();
        Assert.Equal((Confirmation, RoutedInstance.Caller), (sent.Message.Body, sent.Message.To));

        Assert.Equal(0, await b.Runtime.SendScheduledTextsAsync());
        Assert.Equal(0, await c.Runtime.SendScheduledTextsAsync());
        Assert.Equal(1, b.Runtime.Loopback!.SentMessages.Count + c.Runtime.Loopback!.SentMessages.Count);
        Assert.Empty(a.Runtime.Loopback!.SentMessages);
        Assert.True(session.IsActive);   // A never ended it: its instance is gone, not the call's end
        Assert.Empty(await b.Store.GetPendingAsync(null));
    }

    [Fact]
    public async Task An_instance_restarted_under_the_same_id_sends_at_start_up_what_its_earlier_process_scheduled()
    {
        var before = await StartAsync("A");
        await ScheduleAsync(before, "CA3");

        // The process dies mid-call; its claim, under the id "A", has not lapsed yet when "A" starts again.
        await before.Router.HaltAsync();
        Assert.True(await Database.KeyPersistAsync(Instances.Prefix + "call:CA3:owner"));
        Assert.Equal("A", (string?)await Database.StringGetAsync(Instances.Prefix + "call:CA3:owner"));
        var after = await StartAsync("A");

        var sent = await WaitForTextAsync(after);

        Assert.Equal((Confirmation, RoutedInstance.Caller), (sent.Message.Body, sent.Message.To));
        Assert.Empty(await after.Store.GetPendingAsync(null));
        Assert.Equal(0, await after.Runtime.SendScheduledTextsAsync());
        Assert.Single(after.Runtime.Loopback!.SentMessages);
    }

    [Fact]
    public async Task A_call_is_live_elsewhere_while_another_instance_holds_it_and_a_never_claimed_call_for_one_lease()
    {
        var a = await StartAsync("A");
        var b = await StartAsync("B");
        var live = a.Runtime.Calls.StartCall("CA4", RoutedInstance.Caller, RoutedInstance.Agent);
        var ended = a.Runtime.Calls.StartCall("CA5", "+14155550111", RoutedInstance.Agent);
        Assert.True(a.Runtime.Calls.EndCall(ended.CallId));
        await a.Router.FlushAsync().WaitAsync(RoutedInstance.Patience);
        var now = DateTimeOffset.UtcNow;

        Assert.True(await b.Router.IsLiveElsewhereAsync(live.CallId, now, CancellationToken.None));
        Assert.True(await a.Router.IsLiveElsewhereAsync(live.CallId, now, CancellationToken.None));   // live here: not to be swept either
        Assert.False(await b.Router.IsLiveElsewhereAsync(ended.CallId, now, CancellationToken.None));

        // Never claimed: its claim may be on its way for a lease (30 s here) after it was last known live, no longer.
        Assert.True(await b.Router.IsLiveElsewhereAsync("CA-never-claimed", now, CancellationToken.None));
        Assert.False(await b.Router.IsLiveElsewhereAsync("CA-never-claimed", now - TimeSpan.FromMinutes(1), CancellationToken.None));
    }
}
