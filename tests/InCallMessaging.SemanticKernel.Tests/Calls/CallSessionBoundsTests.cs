using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.SemanticKernel.Tests.Core.Calls;

/// <summary>A caller who floods a live call with texts cannot grow its message log or pending transcript without bound.</summary>
public sealed class CallSessionBoundsTests
{
    private static InCallMessagingOptions Options(int keep = 50, int lines = 10)
    {
        var options = TestRuntime.Options(TestRuntime.Summary(), TestRuntime.Otp(wait: true));
        options.MaxReceivedMessagesPerCall = keep;
        options.MaxPendingReplyLines = lines;
        return options;
    }

    [Fact]
    public async Task Only_the_newest_received_messages_are_kept_and_every_reply_is_counted()
    {
        var h = Harness.Start(Options(keep: 3));
        await h.SendSummaryAsync("Your summary");

        for (var i = 1; i <= 5; i++)
        {
            await h.Hub.DeliverAsync(Harness.Inbound($"text {i}", id: $"SM{i}"));
        }

        var messages = h.Session.Messages;
        Assert.Equal(MessageDirection.Outbound, messages[0].Direction);
        Assert.Equal(["text 3", "text 4", "text 5"], messages.Where(m => m.Direction == MessageDirection.Inbound).Select(m => m.Text));
        Assert.Equal(5, h.Session.RepliesReceived);
        Assert.Equal("text 5", h.Session.GetVariable("sms_reply"));
    }

    [Fact]
    public async Task Messages_keep_the_order_they_happened_in_across_sends_and_replies()
    {
        var h = Harness.Start(Options());
        await h.SendSummaryAsync("first");
        await h.Hub.DeliverAsync(Harness.Inbound("reply one"));
        await h.SendSummaryAsync("second");
        await h.Hub.DeliverAsync(Harness.Inbound("reply two"));

        Assert.Equal(["first", "reply one", "second", "reply two"], h.Session.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task Pending_transcript_keeps_the_newest_lines_and_reports_the_drop_once_per_turn()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        var options = Options(lines: 2);
        var h = Harness.Start(options, loggerFactory: loggerFactory);
        using var dropped = new MetricCollector<long>(InCallMessagingTelemetry.Meter, "incall_messaging.replies.lines_dropped");
        await h.SendSummaryAsync("Your summary");

        for (var i = 1; i <= 5; i++)
        {
            await h.Hub.DeliverAsync(Harness.Inbound($"secret {i}"));
        }

        var history = new ChatHistory();
        Assert.Equal(2, h.Session.ApplyPendingReplies(history));
        Assert.Equal(["[SMS Reply]: secret 4", "[SMS Reply]: secret 5"], history.Select(m => m.Content));
        Assert.True(dropped.GetMeasurementSnapshot().Sum(m => m.Value) >= 3);
        Assert.Single(Warnings(logs));

        // After the chat history took the queue, a new flood is reported again.
        for (var i = 6; i <= 8; i++)
        {
            await h.Hub.DeliverAsync(Harness.Inbound($"secret {i}"));
        }

        Assert.Equal(2, Warnings(logs).Count);
        var warning = Warnings(logs)[0];
        Assert.Contains("MaxPendingReplyLines (2)", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiting_action_still_gets_its_reply_when_lines_are_dropped()
    {
        var h = Harness.Start(Options(lines: 1));
        var waiting = h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "123456" });
        await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);
        Assert.True(h.Session.IsWaitingForReply);

        await h.Hub.DeliverAsync(Harness.Inbound("first words"));
        await h.Hub.DeliverAsync(Harness.Inbound("second words"));

        var result = await waiting.WaitAsync(Harness.Safety);
        Assert.Equal("first words", result.Str("reply"));
        Assert.Equal("second words", h.Session.GetVariable("sms_reply"));
    }

    [Theory]
    [InlineData(0, 10, "MaxReceivedMessagesPerCall is 0: set it to 1 or more (default 50).")]
    [InlineData(50, 0, "MaxPendingReplyLines is 0: set it to 1 or more (default 10).")]
    public void Limits_below_one_fail_at_start_up(int keep, int lines, string expected)
    {
        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(Options(keep, lines)));

        Assert.Contains(expected, exception.Errors);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(50_000_001)]
    public void A_deduplication_capacity_out_of_range_fails_at_start_up(int capacity)
    {
        var options = Options(50, 10);
        options.DeduplicationCapacity = capacity;

        var exception = Assert.Throws<InCallMessagingConfigurationException>(() => InCallMessagingRuntime.Create(options));

        Assert.Contains(exception.Errors, e => e.StartsWith($"DeduplicationCapacity is {capacity}: set it between 0", StringComparison.Ordinal));
    }

    private static List<string> Warnings(FakeLoggerProvider logs) =>
        [.. logs.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning && r.Message.Contains("MaxPendingReplyLines", StringComparison.Ordinal)).Select(r => r.Message)];
}
