using BenchmarkDotNet.Attributes;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// The send action of <see cref="ActionInvocationBenchmarks"/> (same fixture, same <c>kernel.InvokeAsync</c>) with the
/// in-memory state stores (the default) and with the SQLite store on a temp file (<see cref="SqliteStateStore"/> as
/// consent store, message log and deduplication store, default options: WAL, <c>synchronous = NORMAL</c>). The send
/// reads consent from the store and waits for the sent message's row to be committed, so the difference is what the
/// durable store adds to an action.
/// </summary>
/// <remarks>
/// As in <see cref="ActionInvocationBenchmarks"/>, the runtime, call and kernel are rebuilt before each iteration (the
/// fixture switches the per-call cap and the duplicate window off, so one session can send the same text 4,096 times).
/// The SQLite store gets a fresh file with each runtime, as the in-memory stores are fresh with each runtime: the
/// loopback provider numbers its message ids per runtime, so a file kept across runtimes would see every later
/// iteration's ids again and the log would skip them (<c>ON CONFLICT DO NOTHING</c>) instead of inserting. Each file
/// is checked when it is replaced: it must hold exactly one outbound row per send made on it (counted in
/// <see cref="Send"/>, an increment on both sides).
/// </remarks>
[Config(typeof(FixedInvocationsConfig))]
public class DurableSendBenchmarks
{
    private readonly List<long> _rowsPerFile = [];
    private Kernel _kernel = null!;
    private KernelFunction _send = null!;
    private KernelArguments _arguments = null!;
    private SqliteStateStore? _store;
    private string? _path;
    private long _sends;

    /// <summary>Where consent and the message log live.</summary>
    [Params("in-memory", "sqlite")]
    public string Store { get; set; } = "in-memory";

    [GlobalSetup]
    public void Check()
    {
        Setup();
        var json = _kernel.InvokeAsync(_send, _arguments).GetAwaiter().GetResult().GetValue<string>()!;
        if (!json.Contains("\"status\":\"sent\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The send action did not send: " + json);
        }

        _sends = 1;
    }

    [IterationSetup]
    public void Setup()
    {
        if (Store == "sqlite")
        {
            CloseFile();
            _path = SqliteCounts.NewDatabasePath();
            _store = new SqliteStateStore(new SqliteStoreOptions { ConnectionString = "Data Source=" + _path });
            _store.OpenAsync().AsTask().GetAwaiter().GetResult();
            _sends = 0;
        }

        var options = new InCallMessagingOptions();
        Fixture.Configure(options);
        var runtime = InCallMessagingRuntime.Create(options, loggerFactory: NullLoggerFactory.Instance,
            deduplicationStore: _store, consentStore: _store, messageLog: _store);
        var session = runtime.Calls.StartCall(Fixture.CallId(1), Fixture.Caller(1), Fixture.SenderNumber, Fixture.Metadata(1));
        _kernel = Fixture.CreateKernel(runtime).WithCallSession(session);
        _send = runtime.Plugin[Fixture.SendAction];
        _arguments = new KernelArguments { ["otp_code"] = Fixture.OtpCode };

        Gc.Settle();
    }

    [GlobalCleanup]
    public void Close()
    {
        CloseFile();
        if (_rowsPerFile.Count > 0)
        {
            Console.WriteLine($"// SQLite store: {_rowsPerFile.Count} files, each held one outbound row per send (rows per file: {string.Join(", ", _rowsPerFile.Distinct())})");
        }
    }

    [Benchmark(Description = "send action (in-memory vs SQLite store)")]
    public Task<FunctionResult> Send()
    {
        _sends++;
        return _kernel.InvokeAsync(_send, _arguments);
    }

    /// <summary>Closes the current file, checks it logged one outbound row per send, and deletes it.</summary>
    private void CloseFile()
    {
        if (_store is null || _path is null)
        {
            return;
        }

        _store.Dispose();
        _store = null;
        var rows = SqliteCounts.Messages(_path, "Outbound");
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }

        _rowsPerFile.Add(rows);
        if (rows != _sends)
        {
            throw new InvalidOperationException($"The SQLite message log holds {rows} outbound rows after {_sends} sends.");
        }
    }
}
