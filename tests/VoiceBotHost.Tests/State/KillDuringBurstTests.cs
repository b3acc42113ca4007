using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using InCallMessaging.Twilio;
using Microsoft.Data.Sqlite;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.State;

/// <summary>
/// Issue 13, point 3: the sample host runs as its own process over a SQLite file; a burst of signed webhooks is cut by
/// kill -9. Every message that was answered 200 is in the database (the 200 goes out only after the write is durable),
/// and once the host is back, Twilio's retries of the whole burst leave each message logged exactly once.
/// </summary>
public sealed class KillDuringBurstTests : IDisposable
{
    private const int Burst = 300;
    private const int KillAfter = 60;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"voicebot-kill-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Kill_9_in_a_burst_loses_no_message_answered_200_and_the_retries_log_each_once()
    {
        var messages = Enumerable.Range(0, Burst).Select(i => InboundSms($"reply {i}", from: $"+1415555{i:D4}")).ToList();
        var answered = new ConcurrentBag<string>();
        var killed = 0;

        using (var host = await SampleProcess.StartAsync(_database))
        {
            var senders = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; i < Burst && Volatile.Read(ref killed) == 0; i += 8)
                {
                    try
                    {
                        using var response = await host.PostSignedAsync("/twilio/messages", messages[i]);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            answered.Add(Sid(messages[i]));
                            if (answered.Count >= KillAfter && Interlocked.Exchange(ref killed, 1) == 0)
                            {
                                // Killed from the sender that saw the count, not from a polling loop a loaded machine
                                // may wake too late (after the whole burst was answered).
                                host.Kill();
                            }
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        // The process is gone mid-request: not answered, so Twilio would retry it.
                    }
                }
            })).ToList();

            await Task.WhenAll(senders);
        }

        Assert.InRange(answered.Count, KillAfter, Burst - 1);
        var afterKill = InboundRows();
        Assert.All(answered, sid => Assert.Equal(1, afterKill.GetValueOrDefault(sid)));

        // Twilio retries everything that was not answered 200 (and, to be sure, everything else too).
        using (var host = await SampleProcess.StartAsync(_database))
        {
            foreach (var form in messages)
            {
                using var response = await host.PostSignedAsync("/twilio/messages", form);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        var afterRetries = InboundRows();
        Assert.Equal(Burst, afterRetries.Count);
        Assert.All(messages, form => Assert.Equal(1, afterRetries[Sid(form)]));
    }

    private static string Sid(List<KeyValuePair<string, string>> form) => form.Single(p => p.Key == "MessageSid").Value;

    /// <summary>How many inbound rows each MessageSid has in the database.</summary>
    private Dictionary<string, int> InboundRows()
    {
        using var connection = new SqliteConnection($"Data Source={_database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message_id, COUNT(*) FROM messages WHERE direction = 'Inbound' GROUP BY message_id";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
        {
            rows[reader.GetString(0)] = reader.GetInt32(1);
        }

        return rows;
    }

    /// <summary>The sample host as its own process (<c>dotnet VoiceBotHost.dll</c>), on a free port, over a given database.</summary>
    private sealed class SampleProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Uri _base;

        private SampleProcess(Process process, Uri baseUri)
        {
            _process = process;
            _base = baseUri;
        }

        public static async Task<SampleProcess> StartAsync(string database)
        {
            var port = FreePort();
            var sample = typeof(VoiceBotApp).Assembly.Location;
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { sample, "--urls", $"http://127.0.0.1:{port}", "--environment", "Development" },
                WorkingDirectory = Path.GetDirectoryName(sample)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["ConnectionStrings__InCallMessaging"] = $"Data Source={database}";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Llm__UseDemoModel"] = "true";
            start.Environment["PublicBaseUrl"] = "";
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var host = new SampleProcess(process, new Uri($"http://127.0.0.1:{port}/"));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                Assert.False(process.HasExited, $"The sample exited with code {(process.HasExited ? process.ExitCode : 0)} before it listened.");
                try
                {
                    using var response = await Http.GetAsync(host._base);
                    if (response.IsSuccessStatusCode)
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                Assert.True(DateTime.UtcNow < deadline, "The sample did not listen within 60 seconds.");
                await Task.Delay(100);
            }
        }

        public async Task<HttpResponseMessage> PostSignedAsync(string path, IReadOnlyList<KeyValuePair<string, string>> form)
        {
            var url = new Uri(_base, path.TrimStart('/'));
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(url.AbsoluteUri, form, DevelopmentCredentials.AuthToken));
            return await Http.SendAsync(request);
        }

        /// <summary>SIGKILL: no shutdown, no flush, nothing the process can do about it.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
