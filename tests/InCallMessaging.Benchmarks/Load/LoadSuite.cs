using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// <c>load [--connections 64,256] [--modes bare,webhook] [--duration 20] [--warmup 5] [--calls 1000] [--rounds 1] [--slices 1] [--out DIR]</c>:
/// for each connection count and mode, starts the server (<see cref="BenchServer"/>) in its own process (server GC, as
/// an ASP.NET Core app has by default), drives it with <see cref="LoadGenerator"/> from this process, checks the
/// accounting (every request answered 200; in webhook mode every request delivered exactly once by the hub and recorded
/// on its call) and writes a table with the ratios to bare Kestrel. With <c>--slices N</c> (N &gt; 1) the modes' servers
/// run side by side and are driven in turn, N slices of duration/N each (see <see cref="RunInterleavedAsync"/>).
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
        var slices = Options.Int(args, "--slices", 1);
        s_engine = Options.String(args, "--engine", "auto")!;

        var results = new List<LoadResult>();
        for (var round = 1; round <= rounds && slices > 1; round++)
        {
            foreach (var connections in connectionCounts)
            {
                Console.WriteLine($"--- round {round}: {string.Join(", ", modes)} interleaved, {connections} connections, {slices} slices of {(duration / slices).TotalSeconds:0.#} s each");
                results.AddRange(await RunInterleavedAsync(modes, connections, warmup, duration, slices, calls, serverGc));
            }
        }

        for (var round = 1; round <= rounds && slices <= 1; round++)
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

        foreach (var failed in results.Where(r => !r.AccountingOk))
        {
            Console.Error.WriteLine($"ACCOUNTING FAILED: {failed.Mode}, {failed.Connections} connections: {failed.Accounting}");
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
            run.Server = await external.GetFromJsonAsync<ServerStats>("_stats?logs=true", StatsJson.Options);
            run.Accounting = "external server";
            return run;
        }

        await using var server = await ServerProcess.StartAsync(mode, calls, serverGc);
        ServerStats? atStart = null;
        ServerStats? atEnd = null;
        var generator = new LoadGenerator("127.0.0.1", server.Port, connections, calls, s_engine);
        var result = await generator.RunAsync(
            warmup,
            duration,
            async () => atStart = await server.StatsAsync(),
            async () => atEnd = await server.StatsAsync());
        var final = await server.StatsAsync(logs: true);
        result.Mode = Label(mode);
        result.Server = final;
        result.ServerCpuSeconds = atEnd!.CpuSeconds - atStart!.CpuSeconds;
        result.ServerAllocatedBytes = atEnd.AllocatedBytes - atStart.AllocatedBytes;
        Account(result, final!);
        return result;
    }

    /// <summary>
    /// The modes' servers all started, then driven in turn, <paramref name="slices"/> times each for
    /// <paramref name="duration"/> / <paramref name="slices"/> (the order reversed every other slice), so that the VM's
    /// drift and its neighbours' bursts fall on every mode alike. Each mode's result merges its slices: requests over the
    /// summed time, percentiles over every measured latency, accounting over everything its server answered.
    /// </summary>
    private static async Task<List<LoadResult>> RunInterleavedAsync(string[] modes, int connections, TimeSpan warmup, TimeSpan duration, int slices, int calls, string serverGc)
    {
        var servers = new List<ServerProcess>();
        try
        {
            foreach (var mode in modes)
            {
                servers.Add(await ServerProcess.StartAsync(mode, calls, serverGc));
            }

            var parts = modes.ToDictionary(m => m, _ => new List<LoadResult>());
            var slice = duration / slices;
            for (var i = 0; i < slices; i++)
            {
                var order = i % 2 == 0 ? servers : Enumerable.Reverse(servers).ToList();
                foreach (var server in order)
                {
                    ServerStats? atStart = null;
                    ServerStats? atEnd = null;
                    var generator = new LoadGenerator("127.0.0.1", server.Port, connections, calls, s_engine);

                    // The first slice warms each server up fully; later ones only reopen their connections.
                    var part = await generator.RunAsync(
                        i == 0 ? warmup : TimeSpan.FromSeconds(1),
                        slice,
                        async () => atStart = await server.StatsAsync(),
                        async () => atEnd = await server.StatsAsync());
                    part.ServerCpuSeconds = atEnd!.CpuSeconds - atStart!.CpuSeconds;
                    part.ServerAllocatedBytes = atEnd.AllocatedBytes - atStart.AllocatedBytes;
                    parts[server.Mode].Add(part);
                    Console.WriteLine($"    slice {i + 1}/{slices} {server.Mode,-12} {part.RequestsPerSecond,10:N0} req/s  p99 {part.P99Microseconds,8:N0} us  host steal {part.StolenCores:N2}");
                }
            }

            var results = new List<LoadResult>();
            foreach (var server in servers)
            {
                var merged = Merge(server.Mode, connections, parts[server.Mode]);
                merged.Server = await server.StatsAsync(logs: true);
                Account(merged, merged.Server!);
                results.Add(merged);
            }

            return results;
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>One result from a mode's slices.</summary>
    private static LoadResult Merge(string mode, int connections, List<LoadResult> parts)
    {
        var latencies = new List<int>(parts.Sum(p => p.Latencies.Count));
        foreach (var part in parts)
        {
            latencies.AddRange(part.Latencies);
        }

        latencies.Sort();
        var seconds = parts.Sum(p => p.DurationSeconds);
        double Weighted(Func<LoadResult, double> value) => parts.Sum(p => value(p) * p.DurationSeconds) / seconds;
        return new LoadResult
        {
            Mode = Label(mode),
            Engine = parts[0].Engine,
            Connections = connections,
            Calls = parts[0].Calls,
            Latencies = latencies,
            DurationSeconds = seconds,
            MeasuredRequests = latencies.Count,
            RequestsPerSecond = latencies.Count / seconds,
            P50Microseconds = LoadGenerator.Percentile(latencies, 0.50),
            P90Microseconds = LoadGenerator.Percentile(latencies, 0.90),
            P99Microseconds = LoadGenerator.Percentile(latencies, 0.99),
            P999Microseconds = LoadGenerator.Percentile(latencies, 0.999),
            MaxMicroseconds = latencies.Count == 0 ? 0 : latencies[^1] / 10.0,
            MeanMicroseconds = latencies.Count == 0 ? 0 : latencies.Average(l => l / 10.0),
            TotalSent = parts.Sum(p => p.TotalSent),
            Total200 = parts.Sum(p => p.Total200),
            TotalOtherStatus = parts.Sum(p => p.TotalOtherStatus),
            Errors = parts.Sum(p => p.Errors),
            GeneratorCpuSeconds = parts.Sum(p => p.GeneratorCpuSeconds),
            ServerCpuSeconds = parts.Sum(p => p.ServerCpuSeconds),
            ServerAllocatedBytes = parts.Sum(p => p.ServerAllocatedBytes),
            MachineBusyCores = Weighted(p => p.MachineBusyCores),
            StolenCores = Weighted(p => p.StolenCores),
            Slices = [.. parts.Select(p => new[] { p.RequestsPerSecond, p.P99Microseconds })],
        };
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

        if (IsWebhook(result.Mode))
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

            // webhook~sqlite: every request answered 200 must be exactly one inbound row of the durable message log.
            if (server.InboundLoggedInSqlite >= 0 && server.InboundLoggedInSqlite != result.Total200)
            {
                problems.Add($"SQLite message log holds {server.InboundLoggedInSqlite:N0} inbound rows vs {result.Total200:N0} answered 200");
            }

            // webhook~redis: likewise, one inbound message in the Redis message log per request answered 200.
            if (server.InboundLoggedInRedis >= 0 && server.InboundLoggedInRedis != result.Total200)
            {
                problems.Add($"Redis message log holds {server.InboundLoggedInRedis:N0} inbound messages vs {result.Total200:N0} answered 200");
            }
        }

        result.AccountingOk = problems.Count == 0;
        result.Accounting = problems.Count == 0
            ? IsWebhook(result.Mode)
                ? $"OK: {result.Total200:N0} requests, all 200, each delivered once to its call ({server.DeliveredToCall:N0} DeliveredToCall, 0 duplicates)"
                    + (server.InboundLoggedInSqlite >= 0 ? $", {server.InboundLoggedInSqlite:N0} inbound rows in SQLite" : "")
                    + (server.InboundLoggedInRedis >= 0 ? $", {server.InboundLoggedInRedis:N0} inbound messages in the Redis log" : "")
                : $"OK: {result.Total200:N0} requests, all 200"
            : "FAILED: " + string.Join("; ", problems);
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
        text.AppendLine("| connections | server | requests/s | p50 | p90 | p99 | p99.9 | server CPU (cores) | server CPU / request | server allocated / request | generator CPU (cores) | other processes (cores) | of which host steal | server GC pause | server peak memory | accounting |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var other = Math.Max(0, r.MachineBusyCores - ((r.ServerCpuSeconds + r.GeneratorCpuSeconds) / r.DurationSeconds));
            var server = r.Server;
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Connections} | {r.Mode} | {r.RequestsPerSecond:N0} | {Ms(r.P50Microseconds)} | {Ms(r.P90Microseconds)} | {Ms(r.P99Microseconds)} | {Ms(r.P999Microseconds)} | "
                + $"{r.ServerCpuSeconds / r.DurationSeconds:N2} | {r.ServerCpuSeconds * 1e6 / Math.Max(1, r.MeasuredRequests):N1} us | {r.ServerAllocatedBytes / (double)Math.Max(1, r.MeasuredRequests):N0} B | {r.GeneratorCpuSeconds / r.DurationSeconds:N2} | {other:N2} | {r.StolenCores:N2} | "
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
                var verdict = !IsWebhook(mode) ? "(calibration)"
                    : mode.Contains("sqlite", StringComparison.Ordinal) || mode.Contains("redis", StringComparison.Ordinal)
                        ? (rps >= 0.25 ? "durable target (>= 0.25x) met" : "durable target (>= 0.25x) missed")
                        : (rps >= 0.8 && p99 <= 1.5 ? "met" : "missed");
                text.AppendLine(CultureInfo.InvariantCulture, $"| {connections} | {mode} | {rps:N2}x{SliceRatios(runs, bare, 0)} | {p99:N2}x{SliceRatios(runs, bare, 1)} | {verdict} |");
            }
        }

        return text.ToString();
    }

    /// <summary>For interleaved runs: the ratios of slices run back to back, as " (slices: median m, min a, max b)".</summary>
    private static string SliceRatios(List<LoadResult> runs, List<LoadResult> bare, int figure)
    {
        var ratios = new List<double>();
        foreach (var (run, baseline) in runs.Zip(bare))
        {
            if (run.Slices is { } slices && baseline.Slices is { } baselineSlices)
            {
                ratios.AddRange(slices.Zip(baselineSlices, (s, b) => s[figure] / b[figure]));
            }
        }

        if (ratios.Count == 0)
        {
            return "";
        }

        ratios.Sort();
        var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $" (slices: median {median:N2}x, {ratios[0]:N2}x to {ratios[^1]:N2}x)");
    }

    private static bool IsWebhook(string mode) =>
        mode == "webhook" || mode.StartsWith("webhook@", StringComparison.Ordinal) || mode.StartsWith("webhook~", StringComparison.Ordinal);

    /// <summary><c>mode@/some/dir/app</c> (another build's server) is labelled <c>mode@dir</c>.</summary>
    private static string Label(string mode) =>
        mode.IndexOf('@', StringComparison.Ordinal) is var at and >= 0
            ? mode[..(at + 1)] + Path.GetFileName(Path.GetDirectoryName(mode[(at + 1)..]))
            : mode;

    private static string Ms(double microseconds) => (microseconds / 1000).ToString("N2", CultureInfo.InvariantCulture) + " ms";

    /// <summary>A <see cref="BenchServer"/> in its own process on a free port, ready to be driven.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _client;

        private ServerProcess(string mode, int port, Process process)
        {
            Mode = mode;
            Port = port;
            _process = process;
            _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        }

        public string Mode { get; }

        public int Port { get; }

        /// <param name="mode">
        /// A server mode, or <c>mode@path</c>: that mode of another build's benchmark app (an A/B of two builds under
        /// the same load, interleaved); the results are labelled <c>mode@label</c> with the path's build folder name.
        /// </param>
        public static async Task<ServerProcess> StartAsync(string mode, int calls, string serverGc)
        {
            var port = FreePort();
            var self = Environment.ProcessPath!;
            var at = mode.IndexOf('@', StringComparison.Ordinal);
            var serverMode = at < 0 ? mode : mode[..at];
            if (at >= 0)
            {
                self = mode[(at + 1)..];
            }

            // webhook~EXPERIMENT: this server alone runs with BENCH_EXPERIMENT=EXPERIMENT (diagnostics, see BenchServer).
            var tilde = serverMode.IndexOf('~', StringComparison.Ordinal);
            var experiment = tilde < 0 ? null : serverMode[(tilde + 1)..];
            serverMode = tilde < 0 ? serverMode : serverMode[..tilde];

            var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, FileName = self };
            if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                info.ArgumentList.Add("exec");
                info.ArgumentList.Add(typeof(LoadSuite).Assembly.Location);
            }

            foreach (var arg in new[] { "server", "--mode", serverMode, "--port", port.ToString(CultureInfo.InvariantCulture), "--calls", calls.ToString(CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["DOTNET_gcServer"] = serverGc;
            if (experiment is not null)
            {
                info.Environment["BENCH_EXPERIMENT"] = experiment;
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the server.");
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
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
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.WriteLine("    [server:err] " + e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new ServerProcess(mode, port, process);
            try
            {
                await ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        /// <summary>The server's counters; with <paramref name="logs"/>, also its store's inbound messages (a scan of the whole log: not while the load runs).</summary>
        public Task<ServerStats?> StatsAsync(bool logs = false) => _client.GetFromJsonAsync<ServerStats>(logs ? "_stats?logs=true" : "_stats", StatsJson.Options);

        public async ValueTask DisposeAsync()
        {
            try
            {
                using var quit = await _client.PostAsync(new Uri("_quit", UriKind.Relative), null);
            }
            catch (HttpRequestException)
            {
            }

            if (!_process.WaitForExit(15_000))
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            _client.Dispose();
        }
    }
}
