using System.Diagnostics;
using InCallMessaging.Benchmarks.Micro;
using Microsoft.AspNetCore.Http;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// <c>probe webhook [--seconds 10] [--calls 1000]</c>: the Twilio inbound endpoint's request delegate in a tight loop on
/// one thread, without sockets (a fresh <see cref="DefaultHttpContext"/> per unique signed request, as in
/// <see cref="WebhookEndpointBenchmarks"/>), for a profiler and for quick before/after figures. Prints microseconds and
/// bytes per request; the same figures for the bare endpoint come first, for scale.
/// </summary>
internal static class WebhookProbe
{
    private const int Port = 5080;
    private const int Batch = 4096;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Options.Double(args, "--seconds", 10);
        var calls = Options.Int(args, "--calls", LoadGenerator.DefaultCalls);
        var template = new SignedRequestTemplate("127.0.0.1", Port, BenchServer.Path, Fixture.AuthToken);
        long sequence = 0;
        foreach (var mode in new[] { "bare", "webhook" })
        {
            var (app, _) = await BenchServer.BuildAsync(mode, Port, calls, new BenchServer.Counters());
            var endpoint = WebhookEndpointBenchmarks.Endpoint(app);
            var bodies = new byte[Batch][];
            var signatures = new string[Batch];
            var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            long requests = 0, bytes = 0;
            var elapsed = TimeSpan.Zero;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                for (var i = 0; i < Batch; i++)
                {
                    sequence++;
                    template.Fill(0x9e0b, sequence, Fixture.Caller((int)(sequence % calls)));
                    bodies[i] = template.Body;
                    signatures[i] = template.Signature;
                }

                var before = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < Batch; i++)
                {
                    var context = SignedHttpContext.Create(app.Services, Port, bodies[i], signatures[i]);
                    context.Response.Body = Stream.Null;
                    await endpoint(context);
                    if (context.Response.StatusCode != StatusCodes.Status200OK)
                    {
                        throw new InvalidOperationException($"{mode} answered {context.Response.StatusCode}.");
                    }
                }

                elapsed += watch.Elapsed;
                bytes += GC.GetAllocatedBytesForCurrentThread() - before;
                requests += Batch;
            }

            Console.WriteLine($"{mode,-8} {requests,10:N0} requests  {elapsed.TotalMicroseconds / requests,7:N2} us  {bytes / (double)requests,7:N0} B each (context creation included)");
            await app.DisposeAsync();
        }

        return 0;
    }
}
