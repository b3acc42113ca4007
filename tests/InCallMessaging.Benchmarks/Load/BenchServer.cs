using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using InCallMessaging.Redis;
using InCallMessaging.Testing;
using InCallMessaging.Twilio.Internal;
using StackExchange.Redis;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// The server under load, in its own process: <c>server --mode webhook|bare --port N [--calls K]</c>.
/// <list type="bullet">
/// <item><c>webhook</c>: the plugin (loopback provider), Twilio configured with an Auth Token, and
/// <c>app.MapInCallMessagingWebhooks("/twilio")</c>: every request is signature-checked, parsed, deduplicated and delivered
/// by the reply hub. K live calls have each texted their caller once, so replies are matched to calls.</item>
/// <item><c>bare</c>: the same host (slim builder, Kestrel on 127.0.0.1, console logging at Warning) with one endpoint,
/// <c>POST /twilio/messages</c>, answering the same empty TwiML without reading the request.</item>
/// <item><c>bare-read</c> and <c>bare-form</c> (calibration): the bare endpoint plus reading the body, or plus
/// <c>Request.ReadFormAsync()</c>: what reading any form webhook costs before any of this project's code runs.</item>
/// </list>
/// <c>webhook~sqlite</c> (<c>BENCH_EXPERIMENT=sqlite</c>; <c>sqlite-p1024</c> for another page size) registers the SQLite state store on a fresh temp file
/// (deleted on exit); <c>/_stats?logs=true</c> then also counts the inbound rows it logged.
/// <c>webhook~redis</c> (<c>BENCH_EXPERIMENT=redis</c>) starts its own <c>redis-server</c> on a free port (the test
/// fixture: AOF, <c>appendfsync always</c>), registers the Redis store and Redis routing (one instance: every reply's
/// call is live here, so nothing is handed off, but each delivery goes through the store and the router's dedupe);
/// <c>/_stats?logs=true</c> then also counts the inbound messages in the Redis message log. The server is killed on exit.
/// Both modes also map <c>GET /_stats</c> (counters, CPU time, GC) and <c>POST /_quit</c>. "ready" is printed when listening.
/// </summary>
internal static class BenchServer
{
    public const string Path = "/twilio/messages";
    public const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response/>""";

    public static async Task<int> RunAsync(string[] args)
    {
        var mode = Options.String(args, "--mode", "webhook")!;
        var port = Options.Int(args, "--port", 5080);
        var calls = Options.Int(args, "--calls", LoadGenerator.DefaultCalls);
        if (mode is not ("webhook" or "bare" or "bare-read" or "bare-form" or "bare-signed"))
        {
            Console.Error.WriteLine("--mode must be webhook, bare, bare-read, bare-form or bare-signed");
            return 2;
        }

        var counters = new Counters();
        WebApplication app;
        List<CallSession> sessions;
        try
        {
            (app, sessions) = await BuildAsync(mode, port, calls, counters);
        }
        catch
        {
            // webhook~redis: a server that fails to start does not leave its redis-server behind.
            counters.RedisConnection?.Dispose();
            if (counters.Redis is { } started)
            {
                await started.DisposeAsync();
            }

            throw;
        }
        // ?logs=true also counts the store's inbound messages: for the final accounting only, as it scans the whole log
        // (a Redis script over every message blocks Redis for a second or more once a run has logged hundreds of
        // thousands); the per-slice calls, made while the load runs, read counters and CPU time only.
        app.MapGet("/_stats", (bool? logs) => Results.Json(counters.Snapshot(mode, sessions, logs == true), StatsJson.Options));
        app.MapPost("/_quit", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Ok();
        });

        await app.StartAsync();
        Console.WriteLine($"ready {mode} http://127.0.0.1:{port}{Path} calls={sessions.Count}");
        await app.WaitForShutdownAsync();
        if (counters.Redis is { } redis)
        {
            await app.DisposeAsync();
            counters.RedisConnection?.Dispose();
            await redis.DisposeAsync();
        }

        if (counters.SqlitePath is { } db)
        {
            await app.DisposeAsync();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(db + suffix);
            }
        }

        return 0;
    }

    /// <summary>Builds (does not start) the server of <paramref name="mode"/>; the benchmarks call its endpoints directly too.</summary>
    public static async Task<(WebApplication App, List<CallSession> Sessions)> BuildAsync(string mode, int port, int calls, Counters counters)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["InCallMessaging:Twilio:AccountSid"] = Fixture.AccountSid,
            ["InCallMessaging:Twilio:AuthToken"] = Fixture.AuthToken,
        });

        if (mode == "webhook")
        {
            var experiment = Environment.GetEnvironmentVariable("BENCH_EXPERIMENT") ?? "";
            if (experiment.Contains("nodedupe", StringComparison.Ordinal))
            {
                builder.Services.AddSingleton<IDeduplicationStore, NoDedupe>();
            }

            builder.Services.AddInCallMessaging(o =>
            {
                Fixture.Configure(o);
                if (experiment.Contains("reserved", StringComparison.Ordinal))
                {
                    // A host that knows its volume: room for every delivery a load run sends (see DeduplicationCapacity).
                    o.DeduplicationCapacity = 4_000_000;
                }

                if (experiment.Contains("lean", StringComparison.Ordinal))
                {
                    o.MaxReceivedMessagesPerCall = 1;
                    o.MaxPendingReplyLines = 1;
                }
            });
            if (experiment.Contains("sqlite", StringComparison.Ordinal))
            {
                // The durable store on a fresh temp file (default options: WAL, synchronous = NORMAL, group commit):
                // consent, the message log and deduplication in SQLite. /_stats counts its inbound rows.
                // webhook~sqlite-p1024 (diagnostic): the same with another PageSize for the new file.
                counters.SqlitePath = SqliteCounts.NewDatabasePath();
                var pageSize = System.Text.RegularExpressions.Regex.Match(experiment, @"sqlite-p(\d+)");
                builder.Services.AddInCallMessagingSqliteStore(options =>
                {
                    options.ConnectionString = "Data Source=" + counters.SqlitePath;
                    if (pageSize.Success)
                    {
                        options.PageSize = int.Parse(pageSize.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    }
                });
            }

            if (experiment.Contains("redis", StringComparison.Ordinal))
            {
                // The Redis store and routing against a redis-server of its own, as the Redis tests run it (AOF,
                // appendfsync always). /_stats counts the inbound messages of its message log.
                counters.Redis = await RedisServer.StartAsync();
                counters.RedisConnection = await ConnectionMultiplexer.ConnectAsync(counters.Redis.ConnectionString + ",allowAdmin=true,syncTimeout=120000");
                if (experiment.Contains("everysec", StringComparison.Ordinal))
                {
                    // Diagnostic (webhook~redis-everysec): Redis's default AOF fsync, to see what fsyncing every write costs.
                    await counters.RedisConnection.GetDatabase().ExecuteAsync("CONFIG", "SET", "appendfsync", "everysec");
                }

                builder.Services.AddInCallMessagingRedisStore(options =>
                {
                    options.ConnectionString = counters.Redis.ConnectionString;
                    options.KeyPrefix = Counters.RedisPrefix;
                });
                builder.Services.AddInCallMessagingRedisRouting(options => options.InstanceId = "bench");
            }

            builder.Services.AddInCallMessagingTwilio(builder.Configuration.GetSection("InCallMessaging:Twilio"));
            builder.Services.AddInCallMessagingWebhooks(builder.Configuration.GetSection("InCallMessaging:Webhooks"));

            // Counts the hub's outcomes, to check that every request was delivered exactly once.
            builder.Services.AddSingleton<IReplyHub>(sp => new CountingReplyHub(sp.GetRequiredService<InCallMessagingRuntime>().Replies, counters));
        }

        var app = builder.Build();
        var sessions = new List<CallSession>();
        if (mode == "webhook")
        {
            app.MapInCallMessagingWebhooks("/twilio");
            await StartCallsAsync(app.Services, calls, sessions);
        }
        else if (mode == "bare")
        {
            var twiml = Encoding.UTF8.GetBytes(EmptyTwiml);
            app.MapPost(Path, () =>
            {
                Interlocked.Increment(ref counters.Requests);
                return Results.Bytes(twiml, "text/xml; charset=utf-8");
            });
        }
        else if (mode == "bare-read")
        {
            // Calibration: the bare endpoint plus reading the whole body (what any webhook must do at least).
            var twiml = Encoding.UTF8.GetBytes(EmptyTwiml);
            app.MapPost(Path, async (HttpRequest request) =>
            {
                var buffer = new byte[request.ContentLength ?? 0];
                await request.Body.ReadExactlyAsync(buffer);
                Interlocked.Increment(ref counters.Requests);
                return Results.Bytes(twiml, "text/xml; charset=utf-8");
            });
        }
        else if (mode == "bare-signed")
        {
            // Calibration: the least any Twilio webhook must do before it looks at the message: read the body, decode
            // the form and check X-Twilio-Signature (the same production code the webhook runs), nothing else.
            var twiml = Encoding.UTF8.GetBytes(EmptyTwiml);
            var url = $"http://127.0.0.1:{port}{Path}";
            app.MapPost(Path, async (HttpRequest request) =>
            {
                // The body is decoded in place in a pooled array, as the webhook does (FormLease), not in a copy.
                var length = (int)(request.ContentLength ?? 0);
                var body = BodyPool.Rent(length);
                await request.Body.ReadExactlyAsync(body.AsMemory(0, length));
                if (!FormLease.TryDecode(body, length, out var lease, out _))
                {
                    return Results.StatusCode(StatusCodes.Status400BadRequest);
                }

                using (lease)
                {
                    if (!TwilioSignature.IsValid(url, lease.Form, request.Headers["X-Twilio-Signature"].ToString(), Fixture.AuthToken))
                    {
                        return Results.StatusCode(StatusCodes.Status403Forbidden);
                    }
                }

                Interlocked.Increment(ref counters.Requests);
                return Results.Bytes(twiml, "text/xml; charset=utf-8");
            });
        }
        else
        {
            // Calibration: the bare endpoint plus ASP.NET Core's own form reading (Request.ReadFormAsync).
            var twiml = Encoding.UTF8.GetBytes(EmptyTwiml);
            app.MapPost(Path, async (HttpRequest request) =>
            {
                var form = await request.ReadFormAsync();
                if (form.Count == 0)
                {
                    return Results.BadRequest();
                }

                Interlocked.Increment(ref counters.Requests);
                return Results.Bytes(twiml, "text/xml; charset=utf-8");
            });
        }

        return (app, sessions);
    }

    /// <summary>K live calls, each having texted its caller once through the plugin, as in a real deployment.</summary>
    private static async Task StartCallsAsync(IServiceProvider services, int calls, List<CallSession> sessions)
    {
        var registry = services.GetRequiredService<ICallSessionRegistry>();
        var kernel = new Kernel();
        var plugin = services.GetRequiredService<KernelPlugin>();
        kernel.Plugins.Add(plugin);
        var arguments = new KernelArguments { ["otp_code"] = Fixture.OtpCode };
        for (var i = 0; i < calls; i++)
        {
            var session = registry.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));
            var result = await kernel.WithCallSession(session).InvokeAsync(plugin[Fixture.SendAction], arguments);
            if (!result.GetValue<string>()!.Contains("\"status\":\"sent\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Set-up send failed: " + result.GetValue<string>());
            }

            sessions.Add(session);
        }
    }

    private sealed class NoDedupe : IDeduplicationStore
    {
        public ValueTask<bool> TryMarkAsync(string key, TimeSpan retention, CancellationToken cancellationToken = default) => ValueTask.FromResult(true);
    }

    internal sealed class Counters
    {
        public long Requests;
        public long DeliveredToCall;
        public long DeliveredAfterCall;
        public long Unmatched;
        public long Duplicate;

        /// <summary>The SQLite store's file (<c>webhook~sqlite</c>), or null for the in-memory stores.</summary>
        public string? SqlitePath;

        /// <summary>The key prefix of the Redis store (<c>webhook~redis</c>).</summary>
        public const string RedisPrefix = "bench:";

        /// <summary>The redis-server of <c>webhook~redis</c>, or null.</summary>
        public RedisServer? Redis;

        /// <summary>A connection of its own to <see cref="Redis"/>, to count the message log.</summary>
        public ConnectionMultiplexer? RedisConnection;

        /// <summary>
        /// Inbound messages in the Redis message log (the members of its lists by creation minute, each checked to still be
        /// logged); -1 without it.
        /// </summary>
        private long InboundInRedis()
        {
            if (RedisConnection is null)
            {
                return -1;
            }

            const string Count = """
                local n = 0
                for _, list in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
                  for _, entry in ipairs(redis.call('LRANGE', list, 0, -1)) do
                    n = n + redis.call('EXISTS', ARGV[1] .. cjson.decode(entry)[1])
                  end
                end
                return n
                """;
            return (long)RedisConnection.GetDatabase().ScriptEvaluate(Count, [(RedisKey)(RedisPrefix + "in:minutes")], [RedisPrefix + "msg:"]);
        }

        public ServerStats Snapshot(string mode, List<CallSession> sessions, bool countLogs)
        {
            using var process = Process.GetCurrentProcess();
            long inbound = 0;
            foreach (var session in sessions)
            {
                // Every reply the call accepted (its message log keeps only the newest MaxReceivedMessagesPerCall).
                inbound += session.RepliesReceived;
            }

            return new ServerStats
            {
                Mode = mode,
                Requests = Interlocked.Read(ref Requests),
                DeliveredToCall = Interlocked.Read(ref DeliveredToCall),
                DeliveredAfterCall = Interlocked.Read(ref DeliveredAfterCall),
                Unmatched = Interlocked.Read(ref Unmatched),
                Duplicate = Interlocked.Read(ref Duplicate),
                InboundRecordedOnCalls = inbound,
                InboundLoggedInSqlite = SqlitePath is null || !countLogs ? -1 : SqliteCounts.Messages(SqlitePath, "Inbound"),
                InboundLoggedInRedis = countLogs ? InboundInRedis() : -1,
                CpuSeconds = process.TotalProcessorTime.TotalSeconds,
                AllocatedBytes = GC.GetTotalAllocatedBytes(precise: false),
                WorkingSetBytes = process.WorkingSet64,
                PeakWorkingSetBytes = process.PeakWorkingSet64,
                Threads = process.Threads.Count,
                Gen0 = GC.CollectionCount(0),
                Gen1 = GC.CollectionCount(1),
                Gen2 = GC.CollectionCount(2),
                GcPauseSeconds = GC.GetTotalPauseDuration().TotalSeconds,
                ServerGc = System.Runtime.GCSettings.IsServerGC,
            };
        }
    }

    /// <summary>Passes every call to the plugin's hub and counts the outcomes.</summary>
    private sealed class CountingReplyHub(IReplyHub inner, Counters counters) : IReplyHub
    {
        public IReadOnlyList<InboundMessage> UnmatchedReplies => inner.UnmatchedReplies;

        public async ValueTask<ReplyDeliveryOutcome> DeliverAsync(InboundMessage message, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref counters.Requests);
            var outcome = await inner.DeliverAsync(message, cancellationToken);
            switch (outcome)
            {
                case ReplyDeliveryOutcome.DeliveredToCall:
                    Interlocked.Increment(ref counters.DeliveredToCall);
                    break;
                case ReplyDeliveryOutcome.DeliveredAfterCall:
                    Interlocked.Increment(ref counters.DeliveredAfterCall);
                    break;
                case ReplyDeliveryOutcome.Unmatched:
                    Interlocked.Increment(ref counters.Unmatched);
                    break;
                default:
                    Interlocked.Increment(ref counters.Duplicate);
                    break;
            }

            return outcome;
        }

        public ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default) =>
            inner.ApplyStatusAsync(update, cancellationToken);
    }
}

internal sealed class ServerStats
{
    public string Mode { get; set; } = "";

    public long Requests { get; set; }

    public long DeliveredToCall { get; set; }

    public long DeliveredAfterCall { get; set; }

    public long Unmatched { get; set; }

    public long Duplicate { get; set; }

    public long InboundRecordedOnCalls { get; set; }

    /// <summary>Rows of the SQLite store's <c>messages</c> table with <c>direction = 'Inbound'</c>; -1 without the SQLite store.</summary>
    public long InboundLoggedInSqlite { get; set; } = -1;

    /// <summary>Inbound messages in the Redis store's message log; -1 without the Redis store.</summary>
    public long InboundLoggedInRedis { get; set; } = -1;

    public double CpuSeconds { get; set; }

    public long AllocatedBytes { get; set; }

    public long WorkingSetBytes { get; set; }

    public long PeakWorkingSetBytes { get; set; }

    public int Threads { get; set; }

    public int Gen0 { get; set; }

    public int Gen1 { get; set; }

    public int Gen2 { get; set; }

    public double GcPauseSeconds { get; set; }

    public bool ServerGc { get; set; }
}

internal static class StatsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
