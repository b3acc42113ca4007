using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// A closed-loop HTTP/1.1 load generator over raw sockets (like wrk: N keep-alive connections, one request in flight on
/// each). Every request is a distinct, correctly signed Twilio inbound webhook (<see cref="SignedRequestTemplate"/>),
/// signed as it is sent, so the pool of unique requests never runs out. The same requests go to both server modes.
/// </summary>
internal sealed class LoadGenerator
{
    public const int DefaultCalls = 1000;

    private readonly string _host;
    private readonly int _port;
    private readonly int _connections;
    private readonly int _calls;
    private readonly uint _nonce = (uint)Random.Shared.NextInt64(0, uint.MaxValue);
    private readonly string[] _callers;
    private long _sequence;

    /// <summary><c>epoll</c> (Linux x64: a thread per core, non-blocking sockets, like wrk) or <c>async</c> (sockets on the thread pool).</summary>
    public string Engine { get; }

    public LoadGenerator(string host, int port, int connections, int calls, string engine = "auto")
    {
        Engine = engine == "auto" ? (EpollLoadGenerator.IsSupported ? "epoll" : "async") : engine;
        _host = host;
        _port = port;
        _connections = connections;
        _calls = calls;
        _callers = [.. Enumerable.Range(0, calls).Select(Fixture.Caller)];
    }

    /// <summary>Runs warm-up then the measured window, then lets every request in flight finish.</summary>
    /// <param name="onMeasureStart">Called when the measured window opens (e.g. to snapshot server CPU).</param>
    /// <param name="onMeasureEnd">Called when it closes.</param>
    public async Task<LoadResult> RunAsync(TimeSpan warmup, TimeSpan duration, Func<Task>? onMeasureStart = null, Func<Task>? onMeasureEnd = null)
    {
        var template = new SignedRequestTemplate(_host, _port, BenchServer.Path, Fixture.AuthToken);
        var frequency = (double)Stopwatch.Frequency;
        List<int> latencies;
        long sent, ok, other, errors;
        (double ProcessSeconds, double MachineBusyCores, double StolenCores) cpuUsed = default;
        if (Engine == "epoll")
        {
            var start = Stopwatch.GetTimestamp() + (long)(0.2 * frequency);
            var measureStart = start + (long)(warmup.TotalSeconds * frequency);
            var measureEnd = measureStart + (long)(duration.TotalSeconds * frequency);
            var engine = new EpollLoadGenerator(_host, _port, _connections, Environment.ProcessorCount, _callers);
            var run = Task.Factory.StartNew(() => engine.Run(template, measureStart, measureEnd), TaskCreationOptions.LongRunning);
            cpuUsed = await MeasureWindowAsync(measureStart, measureEnd, onMeasureStart, onMeasureEnd);

            (latencies, sent, ok, other, errors) = Sum(await run);
        }
        else
        {
            var workers = new Worker[_connections];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = new Worker(this, template.Clone());
                await workers[i].ConnectAsync();
            }

            var start = Stopwatch.GetTimestamp();
            var measureStart = start + (long)(warmup.TotalSeconds * frequency);
            var measureEnd = measureStart + (long)(duration.TotalSeconds * frequency);
            var window = new Window(measureStart, measureEnd);
            var tasks = workers.Select(w => Task.Run(() => w.RunAsync(window))).ToArray();

            cpuUsed = await MeasureWindowAsync(measureStart, measureEnd, onMeasureStart, onMeasureEnd);

            await Task.WhenAll(tasks);
            foreach (var worker in workers)
            {
                worker.Dispose();
            }

            (latencies, sent, ok, other, errors) = Sum(workers);
        }

        latencies.Sort();
        return new LoadResult
        {
            Latencies = latencies,
            Connections = _connections,
            DurationSeconds = duration.TotalSeconds,
            MeasuredRequests = latencies.Count,
            RequestsPerSecond = latencies.Count / duration.TotalSeconds,
            P50Microseconds = Percentile(latencies, 0.50),
            P90Microseconds = Percentile(latencies, 0.90),
            P99Microseconds = Percentile(latencies, 0.99),
            P999Microseconds = Percentile(latencies, 0.999),
            MaxMicroseconds = latencies.Count == 0 ? 0 : latencies[^1] / 10.0,
            MeanMicroseconds = latencies.Count == 0 ? 0 : latencies.Average(l => l / 10.0),
            TotalSent = sent,
            Total200 = ok,
            TotalOtherStatus = other,
            Errors = errors,
            Engine = Engine,
            GeneratorCpuSeconds = cpuUsed.ProcessSeconds,
            MachineBusyCores = cpuUsed.MachineBusyCores,
            StolenCores = cpuUsed.StolenCores,
            Calls = _calls,
        };
    }

    /// <summary>Every worker's latencies in one list, and their counts added up.</summary>
    private static (List<int> Latencies, long Sent, long Ok, long Other, long Errors) Sum(IReadOnlyCollection<IWorkerCounts> workers)
    {
        var latencies = new List<int>(workers.Sum(w => w.Latencies.Count));
        foreach (var worker in workers)
        {
            latencies.AddRange(worker.Latencies);
        }

        return (latencies, workers.Sum(w => w.Sent), workers.Sum(w => w.Ok), workers.Sum(w => w.OtherStatus), workers.Sum(w => w.Errors));
    }

    public static double Percentile(List<int> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)] / 10.0;

    /// <summary>Waits out the warm-up, then samples CPU over the measured window, calling the hooks at its two ends.</summary>
    private static async Task<(double ProcessSeconds, double MachineBusyCores, double StolenCores)> MeasureWindowAsync(
        long measureStart, long measureEnd, Func<Task>? onMeasureStart, Func<Task>? onMeasureEnd)
    {
        await DelayUntil(measureStart);
        var cpu = new CpuSample();
        if (onMeasureStart is not null)
        {
            await onMeasureStart();
        }

        await DelayUntil(measureEnd);
        var used = cpu.Elapsed();
        if (onMeasureEnd is not null)
        {
            await onMeasureEnd();
        }

        return used;
    }

    private static async Task DelayUntil(long timestamp)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }
    }

    private readonly record struct Window(long Start, long End);

    private sealed class Worker(LoadGenerator owner, SignedRequestTemplate request) : IWorkerCounts, IDisposable
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private Socket? _socket;

        public List<int> Latencies { get; } = new(1 << 14);

        public long Sent { get; private set; }

        public long Ok { get; private set; }

        public long OtherStatus { get; private set; }

        public long Errors { get; private set; }

        public async Task ConnectAsync()
        {
            _socket?.Dispose();
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await _socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(owner._host), owner._port));
        }

        public async Task RunAsync(Window window)
        {
            var toTenthsOfMicroseconds = 10_000_000.0 / Stopwatch.Frequency;
            while (Stopwatch.GetTimestamp() < window.End)
            {
                var sequence = Interlocked.Increment(ref owner._sequence);
                request.Fill(owner._nonce, sequence, owner._callers[sequence % owner._calls]);
                var started = Stopwatch.GetTimestamp();
                int status;
                try
                {
                    Sent++;
                    await SendAllAsync(request.Request);
                    status = await ReadResponseAsync();
                }
                catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException)
                {
                    Errors++;
                    await ConnectAsync();
                    continue;
                }

                var ended = Stopwatch.GetTimestamp();
                if (status == 200)
                {
                    Ok++;
                }
                else
                {
                    OtherStatus++;
                }

                if (ended >= window.Start && ended < window.End)
                {
                    Latencies.Add((int)Math.Min(int.MaxValue, (ended - started) * toTenthsOfMicroseconds));
                }
            }
        }

        private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
        {
            while (!data.IsEmpty)
            {
                var sent = await _socket!.SendAsync(data, SocketFlags.None);
                data = data[sent..];
            }
        }

        /// <summary>Reads one response (Content-Length or chunked); returns its status code.</summary>
        private async ValueTask<int> ReadResponseAsync()
        {
            var filled = 0;
            var headerEnd = -1;
            while (true)
            {
                if (filled == _buffer.Length)
                {
                    throw new InvalidDataException("Response too large.");
                }

                var read = await _socket!.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
                if (read == 0)
                {
                    throw new IOException("The server closed the connection.");
                }

                filled += read;
                var status = HttpResponseParser.TryComplete(_buffer.AsSpan(0, filled), ref headerEnd);
                if (status >= 0)
                {
                    return status;
                }
            }
        }

        public void Dispose() => _socket?.Dispose();
    }

    /// <summary>
    /// This process's CPU time, the whole machine's busy time and the time the hypervisor took from this VM (steal),
    /// from /proc/stat, over an interval.
    /// </summary>
    private sealed class CpuSample
    {
        private readonly TimeSpan _process = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly (long Busy, long Steal, long Total) _machine = MachineTicks();

        public (double ProcessSeconds, double MachineBusyCores, double StolenCores) Elapsed()
        {
            var process = (Process.GetCurrentProcess().TotalProcessorTime - _process).TotalSeconds;
            var machine = MachineTicks();
            if (machine.Total == _machine.Total)
            {
                return (process, 0, 0);
            }

            double Cores(long ticks) => (double)ticks / (machine.Total - _machine.Total) * Environment.ProcessorCount;
            return (process, Cores(machine.Busy - _machine.Busy), Cores(machine.Steal - _machine.Steal));
        }

        private static (long Busy, long Steal, long Total) MachineTicks()
        {
            try
            {
                // user nice system idle iowait irq softirq steal: steal counts as busy (the cores were not ours to use).
                var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(long.Parse).ToArray();
                var idle = cpu[3] + cpu[4];
                var total = cpu.Take(8).Sum();
                return (total - idle, cpu[7], total);
            }
            catch (IOException)
            {
                return (0, 0, 0);
            }
        }
    }
}

internal sealed class LoadResult
{
    /// <summary>Every measured request's latency in tenths of a microsecond, sorted (not written to load.json).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public List<int> Latencies { get; set; } = [];

    /// <summary>For an interleaved run: each slice's requests/s and p99 (us), in order.</summary>
    public List<double[]>? Slices { get; set; }

    public string Mode { get; set; } = "";

    public string Engine { get; set; } = "";

    public int Connections { get; set; }

    public double DurationSeconds { get; set; }

    public long MeasuredRequests { get; set; }

    public double RequestsPerSecond { get; set; }

    public double P50Microseconds { get; set; }

    public double P90Microseconds { get; set; }

    public double P99Microseconds { get; set; }

    public double P999Microseconds { get; set; }

    public double MaxMicroseconds { get; set; }

    public double MeanMicroseconds { get; set; }

    public long TotalSent { get; set; }

    public long Total200 { get; set; }

    public long TotalOtherStatus { get; set; }

    public long Errors { get; set; }

    public double GeneratorCpuSeconds { get; set; }

    public double MachineBusyCores { get; set; }

    /// <summary>CPU the hypervisor took from this VM during the measured window (steal), in cores; part of "other".</summary>
    public double StolenCores { get; set; }

    public int Calls { get; set; }

    public double ServerCpuSeconds { get; set; }

    /// <summary>What the server allocated over the measured window (all threads).</summary>
    public long ServerAllocatedBytes { get; set; }

    public ServerStats? Server { get; set; }

    public bool AccountingOk { get; set; }

    public string Accounting { get; set; } = "";
}

/// <summary>What one load worker (a connection, or an epoll thread) measured.</summary>
internal interface IWorkerCounts
{
    List<int> Latencies { get; }

    long Sent { get; }

    long Ok { get; }

    long OtherStatus { get; }

    long Errors { get; }
}
