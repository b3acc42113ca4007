using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VoiceBotHost.Tests.TestSupport;

/// <summary>
/// The sample as a user runs it: <c>dotnet VoiceBotHost.dll</c> in its own process (the build output next to the
/// tests), with its console output captured line by line, standard output and standard error apart.
/// </summary>
public sealed partial class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _database;

    private SampleProcess(Process process, string database)
    {
        _process = process;
        _database = database;
    }

    /// <summary>Every line written to standard output so far.</summary>
    public IReadOnlyList<string> Stdout
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>Every line written to standard error so far.</summary>
    public IReadOnlyList<string> Stderr
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>Both streams, for assertion messages.</summary>
    public string Output => $"--- stdout ---\n{string.Join('\n', Stdout)}\n--- stderr ---\n{string.Join('\n', Stderr)}";

    /// <summary>
    /// Starts the sample in the Development environment on a free loopback port with a database of its own;
    /// <paramref name="args"/> are more command-line arguments (configuration overrides such as <c>--Llm:Model=x</c>).
    /// </summary>
    public static SampleProcess Start(IEnumerable<string>? args = null, IDictionary<string, string>? environment = null) =>
        Run(["--urls=http://127.0.0.1:0", .. args ?? []], environment, ownDatabase: true);

    /// <summary>Runs a sub-command of the sample (<c>smoke</c>, <c>demo</c>) with exactly <paramref name="args"/>.</summary>
    public static SampleProcess Command(params string[] args) => Run(args, environment: null, ownDatabase: false);

    private static SampleProcess Run(IEnumerable<string> args, IDictionary<string, string>? environment, bool ownDatabase)
    {
        var database = Path.Combine(Path.GetTempPath(), $"voicebot-process-{Guid.NewGuid():N}.db");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "VoiceBotHost.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (ownDatabase)
        {
            info.ArgumentList.Add($"--ConnectionStrings:InCallMessaging=Data Source={database}");
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var name in new[] { "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var sample = new SampleProcess(process, database);
        process.OutputDataReceived += (_, line) => sample.Collect(sample._stdout, line.Data);
        process.ErrorDataReceived += (_, line) => sample.Collect(sample._stderr, line.Data);
        process.Exited += (_, _) => sample._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sample;
    }

    /// <summary>Waits for the start-up banner's last line and returns the simulator URL it names.</summary>
    public async Task<Uri> WaitForSimulatorUrlAsync()
    {
        var line = await WaitForLineAsync(l => SimulatorLine().IsMatch(l), "the 'Call simulator: http://...' line");
        return new Uri(SimulatorLine().Match(line).Groups["url"].Value);
    }

    /// <summary>Waits (generously) for a standard output line that matches, and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, double seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (Stdout.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (_exited.Task.IsCompleted)
            {
                await _process.WaitForExitAsync();   // and for both streams to be read to their end
                return Stdout.FirstOrDefault(match) ?? throw new InvalidOperationException($"The sample exited without printing {what}.\n{Output}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The sample did not print {what} within {seconds} s.\n{Output}");
    }

    /// <summary>Waits for the process to exit on its own and returns its exit code, once both streams are read.</summary>
    public async Task<int> WaitForExitAsync(double seconds = 60)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Stops the sample with SIGTERM, which the host handles as it handles Ctrl+C.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }
    }

    private void Collect(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }
    }

    [GeneratedRegex(@"Call simulator:\s+(?<url>http://\S+)")]
    private static partial Regex SimulatorLine();
}
