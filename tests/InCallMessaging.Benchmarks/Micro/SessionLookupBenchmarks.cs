using BenchmarkDotNet.Attributes;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// Finding a call among 100,000 live ones, each of which has texted its caller once (so the conversation and message
/// indexes are populated). Each operation looks up a different, randomly ordered key. The look-ups allocate nothing, so
/// BenchmarkDotNet's forced collection between iterations is off (a full GC of the 100,000 calls would dominate the run).
/// </summary>
[Config(typeof(LargeHeapConfig))]
public class SessionLookupBenchmarks
{
    private const int Batch = 1024;
    private ICallSessionRegistry _calls = null!;
    private string[] _callIds = null!;
    private string[] _callers = null!;
    private string[] _messageIds = null!;

    [Params(100_000)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var runtime = Fixture.CreateRuntime();
        var registry = runtime.Registry;
        var random = new Random(42);
        var order = Enumerable.Range(0, Sessions).OrderBy(_ => random.Next()).Take(Batch).ToArray();
        var messageIds = new string[Sessions];
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < Sessions; i++)
        {
            var session = registry.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));

            // What a send records and indexes (InCallMessageFunction does exactly this after the provider accepted the
            // message), without running 100,000 sends through the kernel for each benchmark.
            messageIds[i] = "SM" + i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
            var message = new CallMessage(MessageDirection.Outbound, MessageChannel.Sms, messageIds[i], Fixture.SenderName,
                session.CallerNumber, "Hi, your code is 482913.", now, Fixture.SendAction, "queued");
            session.RecordOutbound(message, CallVariables.SmsReply);
            registry.IndexOutbound(session, message);
        }

        _calls = registry;
        _callIds = [.. order.Select(Fixture.CallId)];
        _callers = [.. order.Select(Fixture.Caller)];
        _messageIds = [.. order.Select(i => messageIds[i])];
        if (_calls.Count != Sessions || FindByConversation() is null || FindByCallerOnly() is null || FindByMessageId() is null)
        {
            throw new InvalidOperationException("Set-up failed.");
        }
    }

    /// <summary>Drops the 100,000 calls, so the suites that run next in this process start with a small heap.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _calls = null!;
        Gc.Settle();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Find(callId)")]
    public CallSession? Find()
    {
        CallSession? found = null;
        foreach (var id in _callIds)
        {
            found = _calls.Find(id);
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "FindByConversation (texted conversation)")]
    public CallSession? FindByConversation()
    {
        CallSession? found = null;
        foreach (var caller in _callers)
        {
            found = _calls.FindByConversation(MessageChannel.Sms, caller, Fixture.SenderName);
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "FindByConversation (not texted: falls back to caller)")]
    public CallSession? FindByCallerOnly()
    {
        CallSession? found = null;
        foreach (var caller in _callers)
        {
            found = _calls.FindByConversation(MessageChannel.WhatsApp, caller, "whatsapp");
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "FindByMessageId")]
    public CallSession? FindByMessageId()
    {
        CallSession? found = null;
        foreach (var id in _messageIds)
        {
            found = _calls.FindByMessageId(id);
        }

        return found;
    }
}
