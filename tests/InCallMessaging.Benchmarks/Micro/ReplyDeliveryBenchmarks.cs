using BenchmarkDotNet.Attributes;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// Reply delivery: an inbound message handed to the reply hub (dedupe, normalization, consent, call match, record,
/// variable, transcript line) resuming an action that waits for it. Before each iteration, one call per operation is
/// started and its waiting action invoked (sent and waiting); each operation then delivers one reply.
/// </summary>
[Config(typeof(FixedInvocationsConfig))]
public class ReplyDeliveryBenchmarks
{
    private const int Calls = FixedInvocationsConfig.InvocationsPerIteration;
    private readonly InboundMessage[] _replies = new InboundMessage[Calls];
    private readonly Task<FunctionResult>[] _waiting = new Task<FunctionResult>[Calls];
    private IReplyHub _hub = null!;
    private int _next;

    [IterationSetup]
    public void Setup()
    {
        var runtime = Fixture.CreateRuntime();
        var kernel = Fixture.CreateKernel(runtime);
        var wait = runtime.Plugin[Fixture.WaitAction];
        var iteration = Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < Calls; i++)
        {
            var session = runtime.Calls.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));
            _waiting[i] = kernel.WithCallSession(session).InvokeAsync(wait, []);
            if (_waiting[i].IsCompleted || !session.IsWaitingForReply)
            {
                throw new InvalidOperationException("The waiting action did not wait: " + _waiting[i].Result.GetValue<string>());
            }

            _replies[i] = new InboundMessage
            {
                Provider = "Twilio",
                MessageId = $"SM{iteration}{i:x24}",
                Channel = MessageChannel.Sms,
                From = Fixture.Caller(i),
                To = Fixture.SenderNumber,
                Text = "YES " + i,
            };
        }

        _hub = runtime.Replies;
        _next = 0;

        Gc.Settle();
    }

    /// <summary>Until the waiting function has returned its result (the continuation runs on a pool thread).</summary>
    [Benchmark(Description = "deliver reply + waiting function resumed and returned")]
    public async Task<FunctionResult> DeliverAndResume()
    {
        var i = _next++;
        var outcome = await _hub.DeliverAsync(_replies[i]);
        if (outcome != ReplyDeliveryOutcome.DeliveredToCall)
        {
            throw new InvalidOperationException($"Reply {i}: {outcome}.");
        }

        return await _waiting[i];
    }

    /// <summary>The hub's work alone: the waiting function is signalled and resumes on a pool thread, not awaited here.</summary>
    [Benchmark(Description = "hub.DeliverAsync only (wait signalled)")]
    public ValueTask<ReplyDeliveryOutcome> Deliver() => _hub.DeliverAsync(_replies[_next++]);

    [IterationCleanup]
    public void Cleanup()
    {
        // BenchmarkDotNet's jitting and pilot stages run fewer operations than calls were set up: answer the rest, then
        // let every resumed function finish (the Deliver benchmark does not await them) before the next iteration.
        for (var i = _next; i < Calls; i++)
        {
            _ = _hub.DeliverAsync(_replies[i]).AsTask().GetAwaiter().GetResult();
        }

        if (!Task.WaitAll(_waiting, TimeSpan.FromMinutes(1)))
        {
            throw new TimeoutException("Waiting actions did not finish after their replies.");
        }

        foreach (var task in _waiting)
        {
            var json = task.Result.GetValue<string>()!;
            if (!json.Contains("\"status\":\"replied\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("A waiting action did not get its reply: " + json);
            }
        }
    }
}
