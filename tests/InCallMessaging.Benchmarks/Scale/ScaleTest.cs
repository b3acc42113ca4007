using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Benchmarks.Scale;

/// <summary>
/// 10,000 live calls, each with an action waiting for the caller's reply (WaitForReply, 10-minute timeout). Measures the
/// memory a waiting call holds beyond its session, the thread count before, during and after, and checks that each of
/// the replies, delivered in random order through the hub, reached its own call.
/// </summary>
internal static class ScaleTest
{
    public static async Task<int> RunAsync(string[] args)
    {
        var calls = Options.Int(args, "--calls", 10_000);
        var output = Options.String(args, "--out", null);
        var report = new StringBuilder();
        void Line(string text)
        {
            Console.WriteLine(text);
            report.AppendLine(text);
        }

        Line($"# Scale: {calls:N0} concurrent calls waiting for a reply");
        Line("");

        // A warm-up pass on a small runtime: JIT, Scriban, SK and libphonenumber statics are not charged to the calls.
        await RunPhaseAsync(200, wait: true, null);
        await RunPhaseAsync(200, wait: false, null);
        Settle();

        var sendOnly = await RunPhaseAsync(calls, wait: false, null);
        Settle();
        var waiting = await RunPhaseAsync(calls, wait: true, Line);

        Line("");
        Line("| measure | value |");
        Line("|---|---|");
        Line($"| calls | {calls:N0} |");
        Line($"| retained per session (registry entry, session, per-call kernel clone) | {sendOnly.SessionBytes / (double)calls:N0} B |");
        Line($"| retained per call that sent one text without waiting (beyond the session) | {sendOnly.ActionBytes / (double)calls:N0} B |");
        Line($"| **retained per waiting call (beyond the session)** | **{waiting.ActionBytes / (double)calls:N0} B** |");
        Line($"| of which the wait itself (waiting minus send-only) | {(waiting.ActionBytes - sendOnly.ActionBytes) / (double)calls:N0} B |");
        Line($"| allocated per waiting invocation until it waits (all threads) | {waiting.ActionAllocated / (double)calls:N0} B |");
        Line($"| allocated per waiting invocation (invoking thread only) | {waiting.ActionAllocatedThisThread / (double)calls:N0} B |");
        Line($"| threads before / during waits / after replies | {waiting.ThreadsBefore} / {waiting.ThreadsDuring} / {waiting.ThreadsAfter} |");
        Line($"| thread-pool threads before / during / after | {waiting.PoolBefore} / {waiting.PoolDuring} / {waiting.PoolAfter} |");
        Line($"| time to start the {calls:N0} waiting actions | {waiting.StartTime.TotalMilliseconds:N0} ms ({waiting.StartTime.TotalMicroseconds / calls:N1} us each) |");
        Line($"| time to deliver {calls:N0} replies in random order | {waiting.DeliverTime.TotalMilliseconds:N0} ms ({waiting.DeliverTime.TotalMicroseconds / calls:N1} us each) |");
        Line($"| time until every waiting action returned | {waiting.ResumeTime.TotalMilliseconds:N0} ms |");
        Line($"| replies that reached their own call / wrong call / no reply | {waiting.Correct:N0} / {waiting.Wrong:N0} / {waiting.Missing:N0} |");
        // Flat: the 10,000 waits hold no thread (during == before, within 2); the burst of 10,000 resumed continuations
        // may make the thread pool add a few workers, bounded by the pool and not by the number of calls.
        var threadsFlat = waiting.ThreadsDuring <= waiting.ThreadsBefore + 2 && waiting.ThreadsAfter <= waiting.ThreadsBefore + 8;
        var ok = waiting.Correct == calls && threadsFlat;
        Line("");
        // A first pass warms the path up (tiered JIT promotes hot methods after ~30 calls and a short delay).
        await MeasureResumeLatencyAsync(2_000);
        await Task.Delay(1000);
        var latency = await MeasureResumeLatencyAsync(2_000);
        Line("");
        Line("Reply delivery latency, one reply at a time to one of 2,000 waiting calls (time from the webhook's call to hub.DeliverAsync):");
        Line("");
        Line("| until | median | p90 | p99 |");
        Line("|---|---|---|---|");
        Line($"| hub.DeliverAsync returned (the webhook can answer) | {latency.Hub.P50:N1} us | {latency.Hub.P90:N1} us | {latency.Hub.P99:N1} us |");
        Line($"| the waiting function resumed (on a pool thread) | {latency.Resumed.P50:N1} us | {latency.Resumed.P90:N1} us | {latency.Resumed.P99:N1} us |");
        Line($"| the function returned its result through kernel.InvokeAsync | {latency.Returned.P50:N1} us | {latency.Returned.P90:N1} us | {latency.Returned.P99:N1} us |");
        Line("");
        Line($"Result: {(ok ? "PASS" : "FAIL")} (every reply reached its own call: {waiting.Correct == calls}; threads flat: {threadsFlat}; "
            + $"per waiting call {waiting.ActionBytes / (double)calls:N0} B vs target 4,096 B: {(waiting.ActionBytes / (double)calls <= 4096 ? "met" : "missed")}).");
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, report.ToString());
        }

        return ok ? 0 : 1;
    }

    private static async Task<PhaseResult> RunPhaseAsync(int calls, bool wait, Action<string>? log)
    {
        var result = new PhaseResult { ThreadsBefore = ThreadCount(), PoolBefore = ThreadPool.ThreadCount };
        var sessions = new CallSession[calls];
        var kernels = new Kernel[calls];
        var invocations = new Task<FunctionResult>[calls];
        var replies = new InboundMessage[calls];
        var expected = new string[calls];
        var order = Enumerable.Range(0, calls).ToArray();
        new Random(7).Shuffle(order);
        var arguments = new KernelArguments { ["otp_code"] = Fixture.OtpCode };

        var runtime = Fixture.CreateRuntime();
        var kernel = Fixture.CreateKernel(runtime);
        var function = runtime.Plugin[wait ? Fixture.WaitAction : Fixture.SendAction];
        for (var i = 0; i < calls; i++)
        {
            expected[i] = $"reply {i} for {Fixture.CallId(i)} {Guid.NewGuid():N}";
            replies[i] = new InboundMessage
            {
                Provider = "Twilio",
                MessageId = "SM" + i.ToString("x32", CultureInfo.InvariantCulture),
                Channel = MessageChannel.Sms,
                From = Fixture.Caller(i),
                To = Fixture.SenderNumber,
                Text = expected[i],
            };
        }

        var empty = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < calls; i++)
        {
            sessions[i] = runtime.Calls.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));
            kernels[i] = kernel.WithCallSession(sessions[i]);
        }

        var withSessions = GC.GetTotalMemory(forceFullCollection: true);
        result.SessionBytes = withSessions - empty;

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var allocatedThisThread = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            var invocation = kernels[i].InvokeAsync(function, wait ? [] : arguments);
            if (wait)
            {
                invocations[i] = invocation;
            }
            else if (!invocation.IsCompletedSuccessfully || !invocation.Result.GetValue<string>()!.Contains("\"status\":\"sent\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("A send did not complete at once with status sent.");
            }
        }

        result.StartTime = started.Elapsed;
        result.ActionAllocatedThisThread = GC.GetAllocatedBytesForCurrentThread() - allocatedThisThread;
        result.ActionAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        if (wait && (invocations.Any(t => t.IsCompleted) || sessions.Any(s => !s.IsWaitingForReply)))
        {
            throw new InvalidOperationException("Not every call is waiting for a reply.");
        }

        var withActions = GC.GetTotalMemory(forceFullCollection: true);
        result.ActionBytes = withActions - withSessions;
        result.ThreadsDuring = ThreadCount();
        result.PoolDuring = ThreadPool.ThreadCount;
        log?.Invoke($"Sessions: {result.SessionBytes / (double)calls:N0} B each; after {(wait ? "waiting actions" : "sends")}: +{result.ActionBytes / (double)calls:N0} B each; "
            + $"threads {result.ThreadsBefore} -> {result.ThreadsDuring}.");

        if (wait)
        {
            started.Restart();
            foreach (var i in order)
            {
                var outcome = await runtime.Replies.DeliverAsync(replies[i]);
                if (outcome != ReplyDeliveryOutcome.DeliveredToCall)
                {
                    throw new InvalidOperationException($"Reply {i}: {outcome}.");
                }
            }

            result.DeliverTime = started.Elapsed;
            await Task.WhenAll(invocations).WaitAsync(TimeSpan.FromMinutes(2));
            result.ResumeTime = started.Elapsed;
            for (var i = 0; i < calls; i++)
            {
                using var json = JsonDocument.Parse((await invocations[i]).GetValue<string>()!);
                var status = json.RootElement.GetProperty("status").GetString();
                var reply = json.RootElement.TryGetProperty("reply", out var r) ? r.GetString() : null;
                if (status == "replied" && reply == expected[i] && sessions[i].GetVariable(CallVariables.SmsReply) == expected[i])
                {
                    result.Correct++;
                }
                else if (reply is not null)
                {
                    result.Wrong++;
                }
                else
                {
                    result.Missing++;
                }
            }

            await Task.Delay(200);
            result.ThreadsAfter = ThreadCount();
            result.PoolAfter = ThreadPool.ThreadCount;
        }

        GC.KeepAlive(kernels);
        GC.KeepAlive(runtime);
        return result;
    }

    /// <summary>
    /// Delivers replies one at a time and times three moments: the hub returned, the waiting function resumed (seen
    /// through the plugin's own wait-outcome counter, which it records right after resuming) and the invocation finished.
    /// </summary>
    private static async Task<(Stats Hub, Stats Resumed, Stats Returned)> MeasureResumeLatencyAsync(int calls)
    {
        var runtime = Fixture.CreateRuntime();
        var kernel = Fixture.CreateKernel(runtime);
        var function = runtime.Plugin[Fixture.WaitAction];
        var invocations = new Task<FunctionResult>[calls];
        for (var i = 0; i < calls; i++)
        {
            var session = runtime.Calls.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));
            invocations[i] = kernel.WithCallSession(session).InvokeAsync(function, []);
        }

        long resumedAt = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InCallMessagingTelemetry.SourceName && instrument.Name == "incall_messaging.wait.outcomes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Volatile.Write(ref resumedAt, Stopwatch.GetTimestamp()));
        listener.Start();

        var hub = new List<double>(calls);
        var resumed = new List<double>(calls);
        var returned = new List<double>(calls);
        var toMicroseconds = 1_000_000.0 / Stopwatch.Frequency;
        for (var i = 0; i < calls; i++)
        {
            Volatile.Write(ref resumedAt, 0);
            var reply = new InboundMessage
            {
                Provider = "Twilio",
                MessageId = "SMlat" + i.ToString("x30", CultureInfo.InvariantCulture),
                Channel = MessageChannel.Sms,
                From = Fixture.Caller(i),
                To = Fixture.SenderNumber,
                Text = "YES " + i.ToString(CultureInfo.InvariantCulture),
            };
            var start = Stopwatch.GetTimestamp();
            var outcome = await runtime.Replies.DeliverAsync(reply);
            var delivered = Stopwatch.GetTimestamp();
            await invocations[i];
            var done = Stopwatch.GetTimestamp();
            if (outcome != ReplyDeliveryOutcome.DeliveredToCall || Volatile.Read(ref resumedAt) == 0)
            {
                throw new InvalidOperationException($"Reply {i}: {outcome}, resumed {resumedAt}.");
            }

            {
                hub.Add((delivered - start) * toMicroseconds);
                resumed.Add((Volatile.Read(ref resumedAt) - start) * toMicroseconds);
                returned.Add((done - start) * toMicroseconds);
            }
        }

        return (Stats.Of(hub), Stats.Of(resumed), Stats.Of(returned));
    }

    private readonly record struct Stats(double P50, double P90, double P99)
    {
        public static Stats Of(List<double> values)
        {
            values.Sort();
            double At(double p) => values[(int)Math.Min(values.Count - 1, Math.Ceiling(p * values.Count) - 1)];
            return new Stats(At(0.5), At(0.9), At(0.99));
        }
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static int ThreadCount()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }

    private sealed class PhaseResult
    {
        public long SessionBytes { get; set; }

        public long ActionBytes { get; set; }

        public long ActionAllocated { get; set; }

        public long ActionAllocatedThisThread { get; set; }

        public int ThreadsBefore { get; set; }

        public int ThreadsDuring { get; set; }

        public int ThreadsAfter { get; set; }

        public int PoolBefore { get; set; }

        public int PoolDuring { get; set; }

        public int PoolAfter { get; set; }

        public TimeSpan StartTime { get; set; }

        public TimeSpan DeliverTime { get; set; }

        public TimeSpan ResumeTime { get; set; }

        public int Correct { get; set; }

        public int Wrong { get; set; }

        public int Missing { get; set; }
    }
}
