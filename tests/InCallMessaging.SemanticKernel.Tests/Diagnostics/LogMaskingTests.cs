using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace InCallMessaging.SemanticKernel.Tests.Core.Diagnostics;

/// <summary>Phone numbers and message texts never reach the logs in full (unless masking is turned off).</summary>
public sealed class LogMaskingTests
{
    private const string Code = "482913";
    private const string ReplyText = "my account is 99887766";

    private static (Harness Harness, FakeLogCollector Logs) Start(bool mask = true, params InCallMessageAction[] actions)
    {
        var provider = new FakeLoggerProvider();
        var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(provider));
        var options = TestRuntime.Options(actions.Length == 0 ? [TestRuntime.Otp(wait: true)] : actions);
        options.MaskPersonalData = mask;
        return (Harness.Start(options, loggerFactory: factory), provider.Collector);
    }

    private static async Task SendAndReplyAsync(Harness h)
    {
        var pending = h.SendOtpAsync(Code);
        var sent = await h.Loopback.WaitForMessageAsync().WaitAsync(Harness.Safety);
        await h.Loopback.ReplyAsync(sent, ReplyText);
        await pending.WaitAsync(Harness.Safety);
        await h.Hub.DeliverAsync(Harness.Inbound("STOP"));
        await h.Hub.DeliverAsync(Harness.Inbound("who is this", from: "+442071838750"));
    }

    private static IEnumerable<string> Everything(FakeLogCollector logs) =>
        logs.GetSnapshot().SelectMany(r => new[] { r.Message, r.Exception?.ToString() ?? "" }
            .Concat(r.StructuredState?.Select(kv => kv.Value ?? "") ?? []));

    [Fact]
    public async Task Logs_never_contain_the_full_numbers_or_the_message_texts()
    {
        var (h, logs) = Start();

        await SendAndReplyAsync(h);

        var records = logs.GetSnapshot();
        Assert.Contains(records, r => r.Message.Contains("+1******0100", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Message.Contains("delivered to call", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Message.Contains("opted out", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Message.Contains("matches no call", StringComparison.Ordinal));
        foreach (var text in Everything(logs))
        {
            Assert.DoesNotContain("4155550100", text, StringComparison.Ordinal);
            Assert.DoesNotContain("2071838750", text, StringComparison.Ordinal);
            Assert.DoesNotContain(Code, text, StringComparison.Ordinal);
            Assert.DoesNotContain("99887766", text, StringComparison.Ordinal);
            Assert.DoesNotContain("who is this", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Failed_sends_log_the_masked_recipient_only()
    {
        var (h, logs) = Start(actions: TestRuntime.Otp());
        h.Loopback.Responder = _ => SendResult.Failed(SendFailureReason.InvalidRecipient, "Cannot text this number.", "21211");

        await h.SendOtpAsync(Code);

        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("+1******0100", StringComparison.Ordinal));
        Assert.All(Everything(logs), text => Assert.DoesNotContain("4155550100", text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Masking_can_be_turned_off()
    {
        var (h, logs) = Start(mask: false);

        await SendAndReplyAsync(h);

        var messages = logs.GetSnapshot().Select(r => r.Message).ToList();
        Assert.Contains(messages, m => m.Contains(TestRuntime.Caller, StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains(ReplyText, StringComparison.Ordinal));
    }
}
