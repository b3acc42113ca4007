using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace InCallMessaging.Testing;

/// <summary>
/// A real <c>redis-server</c> for a test: its own process on a free 127.0.0.1 port, its own temp directory, and an
/// append-only file flushed on every write (<c>appendfsync always</c>), so a restart or a kill -9 keeps what was acknowledged.
/// </summary>
/// <remarks>Only System.Diagnostics and sockets: it compiles into every test project that links <c>tests/Shared</c>.</remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly string _executable;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(string executable, int port, string directory)
    {
        _executable = executable;
        Port = port;
        Directory = directory;
    }

    /// <summary>The port it listens on (on 127.0.0.1), kept across restarts.</summary>
    public int Port { get; }

    /// <summary>Its working directory, which holds the append-only file.</summary>
    public string Directory { get; }

    /// <summary>The StackExchange.Redis connection string: <c>127.0.0.1:</c>port.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Whether the process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server wrote to its console, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a server and waits until it answers PING.</summary>
    /// <exception cref="InvalidOperationException"><c>redis-server</c> is not installed, or did not start.</exception>
    public static async Task<RedisServer> StartAsync()
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            "redis-server is not installed, and the Redis tests run a real one. Run `bash .ci/run` (it installs redis-server "
            + "with apt), or `sudo apt-get install redis-server`, then run the tests again.");
        var directory = Path.Combine(Path.GetTempPath(), "incall-redis-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);

        // A free port can be taken between probing and binding; try a few.
        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServer(executable, FreePort(), directory);
            try
            {
                await server.LaunchAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await server.KillAsync();
            }
        }
    }

    /// <summary>Stops the server as an operator would (<c>SHUTDOWN NOSAVE</c>; the append-only file has every write), or kills it.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        try
        {
            await SendAsync("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n", TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // It closes the connection as it exits; a server that does not answer is killed below.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    /// <summary>Kills the server (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>Stops the server if it runs and starts it again on the same port and directory, so it reloads its append-only file.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Kills the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private async Task LaunchAsync()
    {
        _process?.Dispose();
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", Directory,
            "--appendonly", "yes", "--appendfsync", "always", "--save", string.Empty, "--daemonize", "no",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}:\n{Output}");
            }

            try
            {
                if (await SendAsync("*1\r\n$4\r\nPING\r\n", TimeSpan.FromSeconds(1)) == "+PONG")
                {
                    return;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"redis-server did not answer PING on port {Port} within {StartTimeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>Sends one RESP command and reads the first line of the answer.</summary>
    private async Task<string> SendAsync(string command, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cancel.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command), cancel.Token);
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, cancel.Token);
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        var end = answer.IndexOf('\r', StringComparison.Ordinal);
        return end < 0 ? answer : answer[..end];
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);
}
