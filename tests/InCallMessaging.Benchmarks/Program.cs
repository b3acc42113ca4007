using BenchmarkDotNet.Running;
using InCallMessaging.Benchmarks;
using InCallMessaging.Benchmarks.Load;
using InCallMessaging.Benchmarks.Routing;
using InCallMessaging.Benchmarks.Scale;

// InCallMessaging.Benchmarks: one console app, several modes (docs/benchmarks.md; `bash .ci/bench` runs them all).
//   bench [BenchmarkDotNet args]      the BenchmarkDotNet suites (e.g. bench --filter '*')
//   scale [--calls 10000] [--out F]   10,000 concurrent waiting calls: memory per wait, threads, replies reach their calls
//   load [--connections 64,256] ...   webhook vs bare Kestrel under load (starts `server` processes, drives them)
//   server --mode webhook|bare --port N [--calls K]   the server under load
//   route-load [--calls 1000] [--replies 10000] [--workers 32] [--probes 1000] [--appendfsync always|everysec] [--out F]
//                                     two instances routing replies through a real redis-server (issue 14)
//   probe send|deliver|webhook [--seconds 10]  a tight loop of one path, for profiling
//   verify-signature                  checks the load generator's signing against the production validator
var mode = args.Length > 0 ? args[0] : "";
var rest = args.Length > 0 ? args[1..] : [];
switch (mode)
{
    case "bench":
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    case "scale":
        return await ScaleTest.RunAsync(rest);
    case "load":
        return await LoadSuite.RunAsync(rest);
    case "server":
        return await BenchServer.RunAsync(rest);
    case "route-load":
        return await RouteLoad.RunAsync(rest);
    case "probe":
        return await Probe.RunAsync(rest);
    case "verify-signature":
        return SignatureCheck.Run();
    default:
        Console.Error.WriteLine("usage: InCallMessaging.Benchmarks bench|scale|load|route-load|server|verify-signature [options] (see docs/benchmarks.md)");
        return 2;
}
