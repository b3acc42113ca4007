using System.Diagnostics;
using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Diagnostics;

/// <summary>The meter and activity source are process-wide, so these tests never run alongside others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry (not parallel)";
}

[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private static MetricCollector<long> Collect(string instrument) => new(InCallMessagingTelemetry.Meter, instrument);

    private static long Sum(MetricCollector<long> collector, string? tag = null, string? value = null) =>
        collector.GetMeasurementSnapshot()
            .Where(m => tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))
            .Sum(m => m.Value);

    [Fact]
    public async Task Sent_and_blocked_counters_count_what_happened()
    {
        using var sent = Collect("incall_messaging.messages.sent");
        using var blocked = Collect("incall_messaging.messages.blocked");
        var options = TestRuntime.Options(TestRuntime.Summary(), TestRuntime.Otp());
        options.MaxMessagesPerCall = 2;
        var h = Harness.Start(options);

        await h.SendSummaryAsync("one");
        await h.SendSummaryAsync("one");
        await h.InvokeAsync("send_otp", []);
        await h.SendOtpAsync();
        await h.SendSummaryAsync("three");

        Assert.Equal(2, Sum(sent));
        Assert.Equal(2, Sum(sent, "channel", "sms"));
        Assert.Equal(3, Sum(blocked));
        Assert.Equal(1, Sum(blocked, "reason", "duplicate"));
        Assert.Equal(1, Sum(blocked, "reason", "missing_values"));
        Assert.Equal(1, Sum(blocked, "reason", "message_limit"));
    }

    [Fact]
    public async Task Invalid_recipient_is_counted_once()
    {
        using var blocked = Collect("incall_messaging.messages.blocked");
        var h = Harness.Start(TestRuntime.Options(TestRuntime.Otp()), caller: "anonymous");

        await h.SendOtpAsync();

        Assert.Equal(1, Sum(blocked, "reason", "invalid_recipient"));
    }

    [Fact]
    public async Task Failed_sends_are_counted_with_their_reason()
    {
        using var failed = Collect("incall_messaging.messages.failed");
        using var sent = Collect("incall_messaging.messages.sent");
        var h = Harness.Start(TestRuntime.Summary());
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.RateLimited, "busy");

        await h.SendSummaryAsync("one");

        Assert.Equal(1, Sum(failed, "reason", "rate_limited"));
        Assert.Equal(0, Sum(sent));
    }

    [Fact]
    public async Task Reply_counters_count_matched_and_unmatched()
    {
        using var matched = Collect("incall_messaging.replies.matched");
        using var unmatched = Collect("incall_messaging.replies.unmatched");
        var h = Harness.Start(TestRuntime.Summary());
        await h.SendSummaryAsync("Hello");

        await h.Hub.DeliverAsync(Harness.Inbound("hi", id: "SM1"));
        await h.Hub.DeliverAsync(Harness.Inbound("hi", id: "SM1"));
        await h.Hub.DeliverAsync(Harness.Inbound("who?", from: "+442071838750"));

        Assert.Equal(1, Sum(matched));
        Assert.Equal(1, Sum(unmatched));
    }

    [Fact]
    public async Task Wait_outcomes_are_counted_by_outcome()
    {
        using var outcomes = Collect("incall_messaging.wait.outcomes");
        var h = Harness.Start(TestRuntime.Otp(wait: true));

        var replied = h.SendOtpAsync("111111");
        await h.Loopback.ReplyAsync(await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety), "ok");
        await replied.WaitAsync(Harness.Safety);
        var timedOut = h.SendOtpAsync("222222");
        h.Time.Advance(TimeSpan.FromSeconds(30));
        await timedOut.WaitAsync(Harness.Safety);

        Assert.Equal(2, Sum(outcomes));
        Assert.Equal(1, Sum(outcomes, "outcome", "replied"));
        Assert.Equal(1, Sum(outcomes, "outcome", "timed_out"));
    }

    [Fact]
    public async Task Each_invocation_starts_an_action_activity_with_its_outcome()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == InCallMessagingTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (stopped)
                {
                    stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var h = Harness.Start(TestRuntime.Otp());

        await h.SendOtpAsync();
        await h.InvokeAsync("send_otp", new KernelArguments());

        List<Activity> activities;
        lock (stopped)
        {
            activities = [.. stopped.Where(a => a.OperationName == "incall_messaging.action")];
        }

        Assert.Equal(2, activities.Count);
        Assert.All(activities, a => Assert.Equal("send_otp", a.GetTagItem("incall_messaging.action")));
        Assert.All(activities, a => Assert.Equal(Harness.CallId, a.GetTagItem("incall_messaging.call_id")));
        Assert.Equal(["sent", "missing_values"], activities.Select(a => a.GetTagItem("incall_messaging.status")));
        Assert.All(activities, a => Assert.DoesNotContain(a.TagObjects, t => t.Value is string s && s.Contains("5550100", StringComparison.Ordinal)));
    }
}
