using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace InCallMessaging.Twilio.Tests.TestInfrastructure;

/// <summary>
/// Stoplight Prism serving Twilio's own OpenAPI description (shared/twilio-oai) as a stand-in Twilio API that checks
/// the shape of every request. Uses <c>PRISM_URL</c> when set (a Prism already running); otherwise starts
/// <c>npx --yes @stoplight/prism-cli@5 mock</c> on a free port and stops it (with its child processes) on dispose.
/// </summary>
public sealed class PrismServer : IAsyncLifetime
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(120);

    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>The stand-in's base URL, for <see cref="TwilioOptions.ApiBaseUrl"/>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>How long Prism took to answer its first request.</summary>
    public TimeSpan StartupTime { get; private set; }

    public async Task InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        var configured = Environment.GetEnvironmentVariable("PRISM_URL");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            BaseUrl = new Uri(configured);
            await WaitUntilAnsweringAsync(stopwatch);
            return;
        }

        var spec = FindSpecification();
        var port = FreePort();
        var start = new ProcessStartInfo("npx")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--yes", "@stoplight/prism-cli@5", "mock", "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), spec })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("npx did not start.");
        }
        catch (System.ComponentModel.Win32Exception failure)
        {
            throw new InvalidOperationException(
                "Cannot start Prism: npx (Node.js) is not on PATH. Install Node.js and `npm install -g @stoplight/prism-cli@5`, or set PRISM_URL to a running Prism.",
                failure);
        }

        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
        await WaitUntilAnsweringAsync(stopwatch);
    }

    public Task DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    // npx runs Prism as a child process: stop the whole tree, not just npx.
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            _process.Dispose();
        }

        return Task.CompletedTask;
    }

    private async Task WaitUntilAnsweringAsync(Stopwatch stopwatch)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (stopwatch.Elapsed < StartupTimeout)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"Prism exited with code {_process.ExitCode} before listening:\n{Output()}");
            }

            try
            {
                using var response = await client.GetAsync(BaseUrl);
                StartupTime = stopwatch.Elapsed;
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Prism did not answer at {BaseUrl} within {StartupTimeout.TotalSeconds} s:\n{Output()}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>shared/twilio-oai/twilio_api_v2010.json beside the repository (the folder holding the .sln).</summary>
    internal static string FindSpecification()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "InCallMessaging.SemanticKernel.sln")))
            {
                var spec = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "twilio-oai", "twilio_api_v2010.json"));
                return File.Exists(spec)
                    ? spec
                    : throw new FileNotFoundException($"Twilio's OpenAPI description is not at {spec} (shared/ beside the repository).", spec);
            }
        }

        throw new DirectoryNotFoundException($"No InCallMessaging.SemanticKernel.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>Tests that share one Prism process.</summary>
[CollectionDefinition(Name)]
public sealed class PrismCollection : ICollectionFixture<PrismServer>
{
    public const string Name = "Prism";
}
