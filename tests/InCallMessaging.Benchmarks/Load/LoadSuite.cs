using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// <c>load [--connections 64,256] [--modes bare,webhook] [--duration 20] [--warmup 5] [--calls 1000] [--rounds 1] [--out DIR]</c>:
/// for each connection count and mode, starts the server (<see cref="BenchServer"/>) in its own process (server GC, as
/// an ASP.NET Core app has by default), drives it with <see cref="LoadGenerator"/> from this process, checks the
/// accounting (every request answered 200; in webhook mode every request delivered exactly once by the hub and recorded
/// on its call) and writes a table with the ratios to bare Kestrel.
/// </summary>
internal static class LoadSuite
{
    private static string s_engine = "auto";

    public static async Task<int> RunAsync(string[] args)
    {
        var connectionCounts = (Options.String(args, "--connections", "64,256") ?? "").Split(',').Select(int.Parse).ToArray();
        var modes = (Options.String(args, "--modes", "bare,webhook") ?? "").Split(',');
        var duration = TimeSpan.FromSeconds(Options.Double(args, "--duration", 20));
        var warmup = TimeSpan.FromSeconds(Options.Double(args, "--warmup", 5));
        var calls = Options.Int(args, "--calls", LoadGenerator.DefaultCalls);
        var rounds = Options.Int(args, "--rounds", 1);
        var serverGc = Options.String(args, "--server-gc", "1")!;
        var output = Options.String(args, "--out", null);
        var externalPort = Options.Int(args, "--external-port", 0);
        s_engine = Options.String(args, "--engine", "auto")!;

        var results = new List<LoadResult>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var connections in connectionCounts)
            {
                foreach (var mode in modes)
                {
                    Console.WriteLine($"--- round {round}: {mode}, {connections} connections, {warmup.TotalSeconds:0} s warm-up + {duration.TotalSeconds:0} s");
                    var result = await RunOneAsync(mode, connections, warmup, duration, calls, serverGc, externalPort);
                    Console.WriteLine($"    {result.RequestsPerSecond,10:N0} req/s  p50 {result.P50Microseconds:N0} us  p99 {result.P99Microseconds:N0} us  "
                        + $"server CPU {result.ServerCpuSeconds / result.DurationSeconds:N2} cores, generator {result.GeneratorCpuSeconds / result.DurationSeconds:N2}, machine busy {result.MachineBusyCores:N2} (host steal {result.StolenCores:N2})  [{result.Accounting}]");
                    results.Add(result);
                }
            }
        }

        var table = Table(results, connectionCounts);
        Console.WriteLine();
        Console.WriteLine(table);
        if (output is not null)
        {
            Directory.CreateDirectory(output);
            await File.WriteAllTextAsync(Path.Combine(output, "load.md"), table);
            await File.WriteAllTextAsync(Path.Combine(output, "load.json"), JsonSerializer.Serialize(results, StatsJson.Options));
        }

        return results.All(r => r.AccountingOk) ? 0 : 1;
    }

    private static async Task<LoadResult> RunOneAsync(string mode, int connections, TimeSpan warmup, TimeSpan duration, int calls, string serverGc, int externalPort)
    {
        if (externalPort > 0)
        {
            // A server started by hand (for example under dotnet-trace): drive it, no accounting across runs.
            using var external = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{externalPort}/") };
            var run = await new LoadGenerator("127.0.0.1", externalPort, connections, calls, s_engine).RunAsync(warmup, duration);
            run.Mode = mode;
            run.Server = await external.GetFromJsonAsync<ServerStats>("_stats", StatsJson.Options);
            run.Accounting = "external server";
            return run;
        }

        var port = FreePort();
        using var server = StartServer(mode, port, calls, serverGc);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (e.Data.StartsWith("ready ", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
            else
            {
                Console.WriteLine("    [server] " + e.Data);
            }
        };
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.WriteLine("    [server:err] " + e.Data);
            }
        };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            ServerStats? atStart = null;
            ServerStats? atEnd = null;
            var generator = new LoadGenerator("127.0.0.1", port, connections, calls, s_engine);
            var result = await generator.RunAsync(
                warmup,
                duration,
                async () => atStart = await client.GetFromJsonAsync<ServerStats>("_stats", StatsJson.Options),
                async () => atEnd = await client.GetFromJsonAsync<ServerStats>("_stats", StatsJson.Options));
            var final = await client.GetFromJsonAsync<ServerStats>("_stats", StatsJson.Options);
            result.Mode = mode;
            result.Server = final;
            result.ServerCpuSeconds = atEnd!.CpuSeconds - atStart!.CpuSeconds;
            Account(result, final!);
            try
            {
                using var quit = await client.PostAsync(new Uri("_quit", UriKind.Relative), null);
            }
            catch (HttpRequestException)
            {
            }

            return result;
        }
        finally
        {
            if (!server.WaitForExit(15_000))
            {
                server.Kill();
                server.WaitForExit();
            }
        }
    }

    /// <summary>Every request sent got a 200, and the server saw each exactly once (webhook: delivered once, recorded on its call).</summary>
    private static void Account(LoadResult result, ServerStats server)
    {
        var problems = new List<string>();
        if (result.Errors > 0 || result.TotalOtherStatus > 0 || result.Total200 != result.TotalSent)
        {
            problems.Add($"sent {result.TotalSent:N0}, 200: {result.Total200:N0}, other status: {result.TotalOtherStatus:N0}, socket errors: {result.Errors:N0}");
        }

        if (server.Requests != result.Total200)
        {
            problems.Add($"server handled {server.Requests:N0} vs {result.Total200:N0} answered 200");
        }

        if (result.Mode == "webhook")
        {
            var delivered = server.DeliveredToCall + server.DeliveredAfterCall + server.Unmatched;
            if (delivered != result.Total200 || server.Duplicate != 0)
            {
                problems.Add($"hub delivered {delivered:N0} (duplicates {server.Duplicate:N0}) vs {result.Total200:N0} answered 200");
            }

            if (server.InboundRecordedOnCalls != server.DeliveredToCall + server.DeliveredAfterCall || server.Unmatched != 0)
            {
                problems.Add($"{server.InboundRecordedOnCalls:N0} replies recorded on calls vs {server.DeliveredToCall:N0} delivered to calls, {server.Unmatched:N0} unmatched");
            }
        }

        result.AccountingOk = problems.Count == 0;
        result.Accounting = problems.Count == 0
            ? result.Mode == "webhook"
                ? $"OK: {result.Total200:N0} requests, all 200, each delivered once to its call ({server.DeliveredToCall:N0} DeliveredToCall, 0 duplicates)"
                : $"OK: {result.Total200:N0} requests, all 200"
            : "FAILED: " + string.Join("; ", problems);
    }

    private static Process StartServer(string mode, int port, int calls, string serverGc)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.FileName = self;
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add(typeof(LoadSuite).Assembly.Location);
        }
        else
        {
            info.FileName = self;
        }

        foreach (var arg in new[] { "server", "--mode", mode, "--port", port.ToString(CultureInfo.InvariantCulture), "--calls", calls.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_gcServer"] = serverGc;
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the server.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Table(List<LoadResult> results, int[] connectionCounts)
    {
        var text = new StringBuilder();
        text.AppendLine("| connections | server | requests/s | p50 | p90 | p99 | p99.9 | server CPU (cores) | server CPU / request | generator CPU (cores) | other processes (cores) | of which host steal | server GC pause | server peak memory | accounting |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var other = Math.Max(0, r.MachineBusyCores - ((r.ServerCpuSeconds + r.GeneratorCpuSeconds) / r.DurationSeconds));
            var server = r.Server;
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Connections} | {r.Mode} | {r.RequestsPerSecond:N0} | {Ms(r.P50Microseconds)} | {Ms(r.P90Microseconds)} | {Ms(r.P99Microseconds)} | {Ms(r.P999Microseconds)} | "
                + $"{r.ServerCpuSeconds / r.DurationSeconds:N2} | {r.ServerCpuSeconds * 1e6 / Math.Max(1, r.MeasuredRequests):N1} us | {r.GeneratorCpuSeconds / r.DurationSeconds:N2} | {other:N2} | {r.StolenCores:N2} | "
                + $"{server?.GcPauseSeconds:N2} s ({server?.Gen2} gen2) | {(server?.PeakWorkingSetBytes ?? 0) / 1048576.0:N0} MB | {r.Accounting} |");
        }

        text.AppendLine();
        text.AppendLine("| connections | server | requests/s vs bare (target >= 0.80 for webhook) | p99 vs bare (target <= 1.50 for webhook) | verdict |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var connections in connectionCounts)
        {
            var bare = results.Where(r => r.Connections == connections && r.Mode == "bare").ToList();
            if (bare.Count == 0)
            {
                continue;
            }

            foreach (var mode in results.Select(r => r.Mode).Distinct().Where(m => m != "bare"))
            {
                var runs = results.Where(r => r.Connections == connections && r.Mode == mode).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var rps = runs.Average(r => r.RequestsPerSecond) / bare.Average(r => r.RequestsPerSecond);
                var p99 = runs.Average(r => r.P99Microseconds) / bare.Average(r => r.P99Microseconds);
                var verdict = mode == "webhook" ? (rps >= 0.8 && p99 <= 1.5 ? "met" : "missed") : "(calibration)";
                text.AppendLine(CultureInfo.InvariantCulture, $"| {connections} | {mode} | {rps:N2}x | {p99:N2}x | {verdict} |");
            }
        }

        return text.ToString();
    }

    private static string Ms(double microseconds) => (microseconds / 1000).ToString("N2", CultureInfo.InvariantCulture) + " ms";
}
