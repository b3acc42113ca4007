using System.Diagnostics;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Benchmarks;

/// <summary>
/// <c>probe send|deliver [--seconds 10]</c>: runs one path in a tight loop for profiling (e.g. under
/// <c>dotnet-trace collect --profile dotnet-sampled-thread-time -- ...</c>) and prints a stopwatch figure. The state is
/// rebuilt every 8,192 operations, as in the BenchmarkDotNet suites.
/// </summary>
internal static class Probe
{
    private const int Batch = 8192;

    public static async Task<int> RunAsync(string[] args)
    {
        var what = args.Length > 0 ? args[0] : "send";
        if (what == "webhook-allocs")
        {
            return await Load.WebhookAllocationProbe.RunAsync();
        }

        if (what == "webhook")
        {
            return await Load.WebhookProbe.RunAsync(args[1..]);
        }

        var seconds = Options.Double(args, "--seconds", 10);
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        long operations = 0;
        var measured = TimeSpan.Zero;
        var allocated = 0L;
        var collections = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
        var pauses = GC.GetTotalPauseDuration();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var (elapsed, bytes) = what == "deliver" ? await DeliverBatchAsync() : await SendBatchAsync();
            measured += elapsed;
            allocated += bytes;
            operations += Batch;
        }

        Console.WriteLine($"{what}: {operations:N0} operations, {measured.TotalMicroseconds / operations:N2} us and {allocated / (double)operations:N0} B (this thread) each");
        Console.WriteLine($"  GC: {GC.CollectionCount(0) - collections[0]:N0} gen0, {GC.CollectionCount(1) - collections[1]:N0} gen1, {GC.CollectionCount(2) - collections[2]:N0} gen2, paused {(GC.GetTotalPauseDuration() - pauses).TotalMilliseconds:N0} ms in all");
        return 0;
    }

    private static async Task<(TimeSpan, long)> SendBatchAsync()
    {
        var runtime = Fixture.CreateRuntime();
        var session = runtime.Calls.StartCall(Fixture.CallId(1), Fixture.Caller(1), Fixture.SenderNumber, Fixture.Metadata(1));
        var kernel = Fixture.CreateKernel(runtime).WithCallSession(session);
        var send = runtime.Plugin[Fixture.SendAction];
        var arguments = new KernelArguments { ["otp_code"] = Fixture.OtpCode };
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Batch; i++)
        {
            await kernel.InvokeAsync(send, arguments);
        }

        return (watch.Elapsed, GC.GetAllocatedBytesForCurrentThread() - bytes);
    }

    private static async Task<(TimeSpan, long)> DeliverBatchAsync()
    {
        var runtime = Fixture.CreateRuntime();
        var kernel = Fixture.CreateKernel(runtime);
        var wait = runtime.Plugin[Fixture.WaitAction];
        var waiting = new Task<FunctionResult>[Batch];
        var replies = new InboundMessage[Batch];
        for (var i = 0; i < Batch; i++)
        {
            var session = runtime.Calls.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));
            waiting[i] = kernel.WithCallSession(session).InvokeAsync(wait, []);
            replies[i] = new InboundMessage { Provider = "Twilio", MessageId = "SM" + i, Channel = MessageChannel.Sms, From = Fixture.Caller(i), To = Fixture.SenderNumber, Text = "YES" };
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Batch; i++)
        {
            await runtime.Replies.DeliverAsync(replies[i]);
            await waiting[i];
        }

        return (watch.Elapsed, GC.GetAllocatedBytesForCurrentThread() - bytes);
    }
}
