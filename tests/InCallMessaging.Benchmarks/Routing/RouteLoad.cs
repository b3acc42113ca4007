using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using InCallMessaging.Benchmarks.Load;
using InCallMessaging.Redis;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Benchmarks.Routing;

/// <summary>
/// Issue 14's load test: a real redis-server (its own process, AOF with <c>appendfsync always</c>, as the tests run it)
/// and two instances in this process, each a real Kestrel web application on 127.0.0.1 (its own DI container with the
/// plugin, the Redis store, Redis routing, the Twilio provider and <c>MapTwilioMessagingWebhooks</c>). Calls are spread
/// over the two; each texts its caller once through the plugin (so its conversation is routable); then replies, each to
/// a random call, are posted to a random instance's webhook as Twilio posts them (a signed form; the signature is
/// checked) from concurrent workers over keep-alive connections. Counts every reply that reached a call (its own or
/// another), duplicates and dead letters, and times the hand-off. A second, unloaded phase posts replies one at a time
/// to the instance that does not own the call and times each until the owner's <see cref="CallSession.MessageArrived"/>.
/// </summary>
internal static class RouteLoad
{
    public const string WebhookPath = "/twilio/messages";
    private const string Prefix = "bench:";

    /// <summary>The MessageSid a signed request carries (<see cref="SignedRequestTemplate.Fill"/>).</summary>
    public static string Sid(uint nonce, long sequence) =>
        "SM" + nonce.ToString("x8", CultureInfo.InvariantCulture) + sequence.ToString("x24", CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = Options.Int(args, "--calls", 1_000);
        var replies = Options.Int(args, "--replies", 10_000);
        var workers = Options.Int(args, "--workers", 32);
        var probes = Options.Int(args, "--probes", 1_000);
        var seed = Options.Int(args, "--seed", 14);
        var output = Options.String(args, "--out", null);
        var fsync = Options.String(args, "--appendfsync", "always")!;
        var report = new StringBuilder();
        void Line(string text)
        {
            Console.WriteLine(text);
            report.AppendLine(text);
        }

        await using var redis = await RedisServer.StartAsync();
        if (fsync != "always")
        {
            // The test server fsyncs every write; Redis's own default for AOF is once a second.
            await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
            await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("appendfsync", fsync);
        }

        // What each instance's webhook answered for each MessageSid (its hub's outcome), and how many posts were not 200.
        var outcomeBySid = new ConcurrentDictionary<string, ReplyDeliveryOutcome>(StringComparer.Ordinal);
        var instances = new[]
        {
            await Instance.StartAsync(redis.ConnectionString, "A", outcomeBySid),
            await Instance.StartAsync(redis.ConnectionString, "B", outcomeBySid),
        };
        try
        {
            Line($"# Routing replies across two instances (Redis): {calls:N0} calls, {replies:N0} signed webhook posts, {workers} workers");
            Line("");
            Line($"redis-server {RedisVersion()} on 127.0.0.1:{redis.Port} (appendonly yes, appendfsync {fsync}); instances A on 127.0.0.1:{instances[0].Port}, "
                + $"B on 127.0.0.1:{instances[1].Port} (Kestrel, POST {WebhookPath}, X-Twilio-Signature checked); {Environment.ProcessorCount} logical CPUs; .NET {Environment.Version}");
            Line("");

            // Calls: call i lives on instance i % 2 and texts its caller once (a no-wait action invoked through a kernel).
            var arrivals = new ConcurrentQueue<Arrival>();
            var probesWaiting = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
            var sessions = new CallSession[calls];
            var invocations = new Task[calls];
            for (var i = 0; i < calls; i++)
            {
                var owner = instances[i % 2];
                var session = owner.Runtime.Calls.StartCall(Fixture.CallId(i), Fixture.Caller(i), Fixture.SenderNumber, Fixture.Metadata(i));
                var call = i;
                session.MessageArrived += (_, e) =>
                {
                    if (e.IsStatus)
                    {
                        return;
                    }

                    var at = Stopwatch.GetTimestamp();
                    if (probesWaiting.TryRemove(e.Message.MessageId, out var probe))
                    {
                        probe.TrySetResult(at);
                        return;
                    }

                    arrivals.Enqueue(new Arrival(call, e.Message.MessageId, at));
                };
                sessions[i] = session;
                invocations[i] = owner.Kernel.WithCallSession(session).InvokeAsync(owner.Runtime.Plugin[Fixture.SendAction],
                    new KernelArguments { ["otp_code"] = Fixture.OtpCode });
            }

            var setup = Stopwatch.StartNew();
            await Task.WhenAll(invocations);
            foreach (var session in sessions)
            {
                while (!session.Messages.Any(m => m.Direction == MessageDirection.Outbound))
                {
                    await Task.Delay(5);
                }
            }

            foreach (var instance in instances)
            {
                await instance.Router.FlushAsync();
            }

            Line($"Setup: {calls:N0} calls started and texted once in {setup.ElapsedMilliseconds:N0} ms.");

            // The signature is checked, not skipped for loopback: a post signed with another auth token is refused.
            var forged = new int[instances.Length];
            for (var i = 0; i < instances.Length; i++)
            {
                await using var wrongKey = new SignedWebhookConnection(instances[i].Port, authToken: "f" + Fixture.AuthToken[1..]);
                forged[i] = await wrongKey.PostAsync(uint.MaxValue, i, Fixture.Caller(i));
            }

            var forgedRefused = forged.All(status => status is 401 or 403) && outcomeBySid.IsEmpty;
            Line($"A post signed with the wrong auth token: answered {string.Join(" / ", forged)} by A / B, reached no hub: {outcomeBySid.IsEmpty}.");
            Line("");

            // Replies: each to a random call, posted to a random instance (about half of them to the non-owner), signed.
            var random = new Random(seed);
            var nonce = (uint)seed;
            var plan = new Planned[replies];
            var byId = new Dictionary<string, int>(replies, StringComparer.Ordinal);
            for (var n = 0; n < replies; n++)
            {
                var sid = Sid(nonce, n);
                plan[n] = new Planned(random.Next(calls), random.Next(2), sid);
                byId[sid] = n;
            }

            var started = new long[replies];
            var returned = new long[replies];
            var statuses = new int[replies];
            var next = -1;
            var clock = Stopwatch.StartNew();
            var t0 = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                // One keep-alive connection to each instance per worker.
                await using var toA = new SignedWebhookConnection(instances[0].Port);
                await using var toB = new SignedWebhookConnection(instances[1].Port);
                int n;
                while ((n = Interlocked.Increment(ref next)) < replies)
                {
                    var (call, to, _) = plan[n];
                    started[n] = Stopwatch.GetTimestamp();
                    statuses[n] = await (to == 0 ? toA : toB).PostAsync(nonce, n, Fixture.Caller(call));
                    returned[n] = Stopwatch.GetTimestamp();
                }
            })));
            var posted = clock.Elapsed;
            var outcomes = plan.Select(p => outcomeBySid.TryGetValue(p.Sid, out var outcome) ? outcome : (ReplyDeliveryOutcome?)null).ToArray();
            var not200 = statuses.Count(status => status != 200);

            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
            var database = connection.GetDatabase();
            using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            {
                while (arrivals.Count < replies && !patience.IsCancellationRequested)
                {
                    await Task.Delay(2);
                }
            }

            var drained = clock.Elapsed;
            await WaitForEmptyInboxesAsync(database);
            await Task.Delay(1000); // A late duplicate, if any, would land here.

            var seen = new int[replies];
            var wrong = 0;
            var lastArrival = t0;
            var handOffLatency = new List<double>();
            var afterReturn = new List<double>();
            foreach (var arrival in arrivals)
            {
                if (!byId.TryGetValue(arrival.MessageId, out var n))
                {
                    continue;
                }

                seen[n]++;
                wrong += arrival.Call == plan[n].Call ? 0 : 1;
                lastArrival = Math.Max(lastArrival, arrival.At);
                if (outcomes[n] == ReplyDeliveryOutcome.HandedOff)
                {
                    handOffLatency.Add(Stopwatch.GetElapsedTime(started[n], arrival.At).TotalMicroseconds);
                    afterReturn.Add(Math.Max(0, Stopwatch.GetElapsedTime(returned[n], arrival.At).TotalMicroseconds));
                }
            }

            var local = Enumerable.Range(0, replies).Where(n => outcomes[n] == ReplyDeliveryOutcome.DeliveredToCall)
                .Select(n => Stopwatch.GetElapsedTime(started[n], returned[n]).TotalMicroseconds).ToList();
            var handOffCall = Enumerable.Range(0, replies).Where(n => outcomes[n] == ReplyDeliveryOutcome.HandedOff)
                .Select(n => Stopwatch.GetElapsedTime(started[n], returned[n]).TotalMicroseconds).ToList();
            var once = seen.Count(s => s == 1);
            var duplicated = seen.Count(s => s > 1);
            var missing = seen.Count(s => s == 0);
            var received = sessions.Sum(s => s.RepliesReceived);
            var expectedPerCall = new int[calls];
            foreach (var p in plan)
            {
                expectedPerCall[p.Call]++;
            }

            var callsMatching = Enumerable.Range(0, calls).Count(i => sessions[i].RepliesReceived == expectedPerCall[i]);
            var deadLetters = await database.StreamLengthAsync(Prefix + "dead-letter");
            var elapsed = Stopwatch.GetElapsedTime(t0, lastArrival);

            Line("## Load phase");
            Line("");
            Line("| measure | value |");
            Line("|---|---|");
            Line($"| webhook answers | {string.Join(", ", statuses.GroupBy(status => status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count():N0}"))} |");
            Line($"| outcomes at the receiving instance's hub | {string.Join(", ", outcomes.GroupBy(o => o?.ToString() ?? "none (never reached the hub)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count():N0}"))} |");
            Line($"| all {replies:N0} posted (last answer received) | {posted.TotalMilliseconds:N0} ms |");
            Line($"| **first post to last arrival in its call** | **{elapsed.TotalMilliseconds:N0} ms ({replies / elapsed.TotalSeconds:N0} replies/s)** |");
            Line($"| replies delivered exactly once / more than once / never | {once:N0} / {duplicated:N0} / {missing:N0} |");
            Line($"| replies that reached another call than their own | {wrong:N0} |");
            Line($"| sum of CallSession.RepliesReceived vs expected | {received:N0} vs {replies:N0}; calls whose count matches: {callsMatching:N0} of {calls:N0} |");
            Line($"| dead letters | {deadLetters:N0} |");
            Line($"| POST to the owner answered (local delivery), p50 / p99 | {Percentile(local, 0.50):N0} us / {Percentile(local, 0.99):N0} us |");
            Line($"| POST to the non-owner answered (durable hand-off), p50 / p99 | {Percentile(handOffCall, 0.50):N0} us / {Percentile(handOffCall, 0.99):N0} us |");
            Line($"| hand-off: POST to the non-owner until MessageArrived on the owner, p50 / p99 / max | {Percentile(handOffLatency, 0.50):N0} us / {Percentile(handOffLatency, 0.99):N0} us / {Percentile(handOffLatency, 1):N0} us |");
            Line($"| hand-off: 200 received until MessageArrived, p50 / p99 (0 when it arrived first) | {Percentile(afterReturn, 0.50):N0} us / {Percentile(afterReturn, 0.99):N0} us |");
            Line("");

            // Unloaded: one signed post at a time, always to the instance that does not own the call, until it arrives.
            var probeLatency = new List<double>(probes);
            await using (var probeToA = new SignedWebhookConnection(instances[0].Port))
            await using (var probeToB = new SignedWebhookConnection(instances[1].Port))
            {
                for (var k = 0; k < probes; k++)
                {
                    var call = random.Next(calls);
                    var sequence = (long)replies + k;
                    var sid = Sid(nonce, sequence);
                    var arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                    probesWaiting[sid] = arrived;
                    var start = Stopwatch.GetTimestamp();
                    var status = await (call % 2 == 0 ? probeToB : probeToA).PostAsync(nonce, sequence, Fixture.Caller(call));
                    var at = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
                    if (status != 200 || !outcomeBySid.TryGetValue(sid, out var outcome) || outcome != ReplyDeliveryOutcome.HandedOff)
                    {
                        throw new InvalidOperationException($"Probe {k} was answered {status} ({outcomeBySid.GetValueOrDefault(sid)}), not handed off.");
                    }

                    probeLatency.Add(Stopwatch.GetElapsedTime(start, at).TotalMicroseconds);
                }
            }

            Line("## Latency phase (unloaded)");
            Line("");
            Line($"{probes:N0} signed posts one at a time, each to the instance that does not own its call, timed from the start of the POST until MessageArrived on the owner:");
            Line($"p50 {Percentile(probeLatency, 0.50):N0} us, p90 {Percentile(probeLatency, 0.90):N0} us, p99 {Percentile(probeLatency, 0.99):N0} us, "
                + $"max {Percentile(probeLatency, 1):N0} us (target: p99 <= 2,000 us: {(Percentile(probeLatency, 0.99) <= 2000 ? "met" : "missed")}).");
            Line("");

            var ping = await RedisBenchmarkPingAsync(redis.Port);
            Line("## redis-benchmark in the same run");
            Line("");
            Line($"`redis-benchmark -p {redis.Port} -t ping -n 100000 -q`:");
            Line("");
            Line("```");
            Line(ping);
            Line("```");
            Line("");

            var receivedAfterProbes = sessions.Sum(s => s.RepliesReceived);
            deadLetters = await database.StreamLengthAsync(Prefix + "dead-letter");
            var ok = once == replies && wrong == 0 && duplicated == 0 && missing == 0 && received == replies && receivedAfterProbes == replies + probes
                && deadLetters == 0 && not200 == 0 && forgedRefused;
            Line($"Result: {(ok ? "PASS" : "FAIL")} (forged posts refused: {forgedRefused}; every post answered 200: {not200 == 0}; every reply delivered exactly once to its own call: {once == replies && wrong == 0 && duplicated == 0 && missing == 0}; "
                + $"RepliesReceived sum {received:N0} after the load phase, {receivedAfterProbes:N0} after {probes:N0} probes; dead letters: {deadLetters}).");
            if (output is not null)
            {
                await File.WriteAllTextAsync(output, report.ToString());
            }

            return ok ? 0 : 1;
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    private static async Task WaitForEmptyInboxesAsync(IDatabase database)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await database.StreamLengthAsync(Prefix + "inbox:A") + await database.StreamLengthAsync(Prefix + "inbox:B") > 0)
        {
            await Task.Delay(10, patience.Token);
        }
    }

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        var index = Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1);
        return values[index];
    }

    private static string RedisVersion()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var v = text.IndexOf("v=", StringComparison.Ordinal);
            return v < 0 ? "?" : text[(v + 2)..].Split(' ')[0];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }

    private static async Task<string> RedisBenchmarkPingAsync(int port)
    {
        try
        {
            var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "ping", "-n", "100000", "-q" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();

            // -q rewrites its progress line with carriage returns: keep what each line ends with.
            return string.Join('\n', text.Split('\n')
                .Select(line => line.Split('\r').Select(part => part.Trim()).LastOrDefault(part => part.Length > 0) ?? string.Empty)
                .Where(line => line.Length > 0));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "redis-benchmark is not installed";
        }
    }

    private readonly record struct Planned(int Call, int To, string Sid);

    private readonly record struct Arrival(int Call, string MessageId, long At);

    /// <summary>
    /// One instance: a Kestrel web application on 127.0.0.1 (a free port) with the plugin, the Redis store, Redis routing,
    /// the Twilio provider (its auth token checks X-Twilio-Signature) and <c>MapTwilioMessagingWebhooks</c>; its hub records
    /// the outcome of every inbound message its webhook hands it.
    /// </summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Instance(WebApplication app)
        {
            _app = app;
            Runtime = app.Services.GetRequiredService<InCallMessagingRuntime>();
            Router = app.Services.GetRequiredService<RedisReplyRouter>();
            Kernel = Fixture.CreateKernel(Runtime);
            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            Port = new Uri(address).Port;
        }

        public InCallMessagingRuntime Runtime { get; }

        public RedisReplyRouter Router { get; }

        public Kernel Kernel { get; }

        public int Port { get; }

        public static async Task<Instance> StartAsync(string connectionString, string id, ConcurrentDictionary<string, ReplyDeliveryOutcome> outcomes)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)
                // Ten texts per call between two turns overflow its pending transcript lines by design here; not a fault.
                .AddFilter("InCallMessaging.SemanticKernel.ReplyHub", LogLevel.Error);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["InCallMessaging:Twilio:AccountSid"] = Fixture.AccountSid,
                ["InCallMessaging:Twilio:AuthToken"] = Fixture.AuthToken,
            });
            builder.Services.AddInCallMessaging(Fixture.Configure);
            builder.Services.AddInCallMessagingRedisStore(options =>
            {
                options.ConnectionString = connectionString;
                options.KeyPrefix = Prefix;
            });
            builder.Services.AddInCallMessagingRedisRouting(options => options.InstanceId = id);
            builder.Services.AddInCallMessagingTwilio(builder.Configuration.GetSection("InCallMessaging:Twilio"));
            builder.Services.AddInCallMessagingWebhooks(builder.Configuration.GetSection("InCallMessaging:Webhooks"));
            builder.Services.AddSingleton<IReplyHub>(sp => new RecordingReplyHub(sp.GetRequiredService<InCallMessagingRuntime>().Replies, outcomes));
            var app = builder.Build();
            app.MapTwilioMessagingWebhooks("/twilio");
            await app.StartAsync();
            return new Instance(app);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>Passes each inbound message to the plugin's hub and records its outcome by MessageSid.</summary>
    private sealed class RecordingReplyHub(IReplyHub inner, ConcurrentDictionary<string, ReplyDeliveryOutcome> outcomes) : IReplyHub
    {
        public IReadOnlyList<InboundMessage> UnmatchedReplies => inner.UnmatchedReplies;

        public async ValueTask<ReplyDeliveryOutcome> DeliverAsync(InboundMessage message, CancellationToken cancellationToken = default)
        {
            var outcome = await inner.DeliverAsync(message, cancellationToken);
            outcomes[message.MessageId] = outcome;
            return outcome;
        }

        public ValueTask<StatusUpdateOutcome> ApplyStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken = default) =>
            inner.ApplyStatusAsync(update, cancellationToken);
    }
}
