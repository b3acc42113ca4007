using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// The load generator's engine on Linux: like wrk, a few threads (one per core by default), each driving its share of
/// the connections with non-blocking sockets and epoll, one request in flight per connection (closed loop). About a
/// third of the CPU per request of async sockets on the thread pool, which matters when the load tool shares two cores
/// with the server.
/// </summary>
internal sealed class EpollLoadGenerator
{
    private readonly string _host;
    private readonly int _port;
    private readonly int _connections;
    private readonly int _threads;
    private readonly string[] _callers;
    private readonly uint _nonce = (uint)Random.Shared.NextInt64(0, uint.MaxValue);
    private long _sequence;

    public EpollLoadGenerator(string host, int port, int connections, int threads, string[] callers)
    {
        _host = host;
        _port = port;
        _connections = connections;
        _threads = Math.Max(1, Math.Min(threads, connections));
        _callers = callers;
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Runs until <paramref name="measureEnd"/>, then waits for every request in flight.</summary>
    public WorkerTotals[] Run(SignedRequestTemplate template, long measureStart, long measureEnd)
    {
        var totals = new WorkerTotals[_threads];
        var threads = new Thread[_threads];
        var errors = new Exception?[_threads];
        for (var t = 0; t < _threads; t++)
        {
            var index = t;
            var share = (_connections / _threads) + (index < _connections % _threads ? 1 : 0);
            totals[index] = new WorkerTotals();
            threads[index] = new Thread(() =>
            {
                try
                {
                    Loop(template, share, measureStart, measureEnd, totals[index]);
                }
                catch (Exception ex)
                {
                    errors[index] = ex;
                }
            })
            { IsBackground = true, Name = "load-" + index };
            threads[index].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        return errors.FirstOrDefault(e => e is not null) is { } error
            ? throw new InvalidOperationException("A load thread failed.", error)
            : totals;
    }

    private void Loop(SignedRequestTemplate template, int count, long measureStart, long measureEnd, WorkerTotals totals)
    {
        var epoll = NativeMethods.epoll_create1(0);
        if (epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed ({Marshal.GetLastPInvokeError()}).");
        }

        var connections = new Connection[count];
        var events = new NativeMethods.EpollEvent[Math.Max(count, 1)];
        var toTenthsOfMicroseconds = 10_000_000.0 / Stopwatch.Frequency;
        try
        {
            for (var i = 0; i < count; i++)
            {
                connections[i] = new Connection(template.Clone());
                Connect(epoll, connections[i], i);
            }

            var inFlight = 0;
            foreach (var connection in connections)
            {
                Send(connection, totals);
                inFlight++;
            }

            var drainDeadline = long.MaxValue;
            while (inFlight > 0)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= measureEnd && drainDeadline == long.MaxValue)
                {
                    drainDeadline = now + (10 * Stopwatch.Frequency);
                }

                if (now > drainDeadline)
                {
                    totals.Errors += inFlight;
                    break;
                }

                var ready = NativeMethods.epoll_wait(epoll, events, events.Length, 5);
                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == 4)
                    {
                        continue; // EINTR
                    }

                    throw new InvalidOperationException($"epoll_wait failed ({errno}).");
                }

                for (var e = 0; e < ready; e++)
                {
                    var index = (int)events[e].Data;
                    var connection = connections[index];
                    int status;
                    try
                    {
                        status = connection.TryReadResponse();
                    }
                    catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException)
                    {
                        // The request is lost: count it, reconnect, go on.
                        totals.Errors++;
                        Reconnect(epoll, connection, index);
                        if (Stopwatch.GetTimestamp() < measureEnd)
                        {
                            Send(connection, totals);
                        }
                        else
                        {
                            inFlight--;
                        }

                        continue;
                    }

                    if (status < 0)
                    {
                        continue; // more to read
                    }

                    var ended = Stopwatch.GetTimestamp();
                    if (status == 200)
                    {
                        totals.Ok++;
                    }
                    else
                    {
                        totals.OtherStatus++;
                    }

                    if (ended >= measureStart && ended < measureEnd)
                    {
                        totals.Latencies.Add((int)Math.Min(int.MaxValue, (ended - connection.Started) * toTenthsOfMicroseconds));
                    }

                    if (ended < measureEnd)
                    {
                        Send(connection, totals);
                    }
                    else
                    {
                        inFlight--;
                    }
                }
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection?.Socket?.Dispose();
            }

            _ = NativeMethods.close(epoll);
        }
    }

    private void Connect(int epoll, Connection connection, int index)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(new IPEndPoint(IPAddress.Parse(_host), _port));
        socket.Blocking = false;
        connection.Socket = socket;
        var ev = new NativeMethods.EpollEvent { Events = NativeMethods.EPOLLIN, Data = (ulong)index };
        if (NativeMethods.epoll_ctl(epoll, NativeMethods.EPOLL_CTL_ADD, (int)socket.Handle, ref ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl failed ({Marshal.GetLastPInvokeError()}).");
        }
    }

    private void Reconnect(int epoll, Connection connection, int index)
    {
        if (connection.Socket is { } old)
        {
            var ev = default(NativeMethods.EpollEvent);
            _ = NativeMethods.epoll_ctl(epoll, NativeMethods.EPOLL_CTL_DEL, (int)old.Handle, ref ev);
            old.Dispose();
        }

        Connect(epoll, connection, index);
    }

    private void Send(Connection connection, WorkerTotals totals)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        connection.Request.Fill(_nonce, sequence, _callers[sequence % _callers.Length]);
        connection.Filled = 0;
        connection.HeaderEnd = -1;
        connection.Started = Stopwatch.GetTimestamp();
        totals.Sent++;
        var data = connection.Request.Request.Span;
        while (!data.IsEmpty)
        {
            var sent = connection.Socket!.Send(data, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                Thread.Yield();
                continue;
            }

            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            data = data[sent..];
        }
    }

    private sealed class Connection(SignedRequestTemplate request)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];

        public SignedRequestTemplate Request { get; } = request;

        public Socket? Socket { get; set; }

        public long Started { get; set; }

        public int Filled { get; set; }

        public int HeaderEnd = -1;

        /// <summary>Reads what is available; the status code once a whole response is in, else -1.</summary>
        public int TryReadResponse()
        {
            while (true)
            {
                if (Filled == _buffer.Length)
                {
                    throw new InvalidDataException("Response too large.");
                }

                var read = Socket!.Receive(_buffer.AsSpan(Filled), SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    return -1;
                }

                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }

                if (read == 0)
                {
                    throw new IOException("The server closed the connection.");
                }

                Filled += read;
                var status = HttpResponseParser.TryComplete(_buffer.AsSpan(0, Filled), ref HeaderEnd);
                if (status >= 0)
                {
                    return status;
                }
            }
        }
    }

    internal sealed class WorkerTotals : IWorkerCounts
    {
        public List<int> Latencies { get; } = new(1 << 16);

        public long Sent { get; set; }

        public long Ok { get; set; }

        public long OtherStatus { get; set; }

        public long Errors { get; set; }
    }
}

/// <summary>Finds the end of one HTTP/1.1 response (Content-Length or chunked) in a buffer.</summary>
internal static class HttpResponseParser
{
    /// <summary>The status code when <paramref name="data"/> holds a whole response, else -1.</summary>
    public static int TryComplete(ReadOnlySpan<byte> data, ref int headerEnd)
    {
        if (headerEnd < 0)
        {
            headerEnd = data.IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0)
            {
                return -1;
            }
        }

        var bodyStart = headerEnd + 4;
        if (TryContentLength(data[..headerEnd], out var length))
        {
            if (data.Length < bodyStart + length)
            {
                return -1;
            }
        }
        else if (!data[bodyStart..].EndsWith("0\r\n\r\n"u8))
        {
            return -1;
        }

        return data.Length < 12 ? throw new InvalidDataException("Not an HTTP response.")
            : ((data[9] - '0') * 100) + ((data[10] - '0') * 10) + (data[11] - '0');
    }

    private static bool TryContentLength(ReadOnlySpan<byte> headers, out int length)
    {
        length = 0;
        var name = "\r\ncontent-length:"u8;
        for (var i = 0; i + name.Length <= headers.Length; i++)
        {
            var j = 0;
            while (j < name.Length && (headers[i + j] | 0x20) == (name[j] | 0x20))
            {
                j++;
            }

            if (j < name.Length)
            {
                continue;
            }

            var k = i + name.Length;
            while (k < headers.Length && headers[k] == ' ')
            {
                k++;
            }

            while (k < headers.Length && headers[k] is >= (byte)'0' and <= (byte)'9')
            {
                length = (length * 10) + (headers[k] - '0');
                k++;
            }

            return true;
        }

        return false;
    }
}

#pragma warning disable SA1300, IDE1006 // libc names
internal static class NativeMethods
{
    public const uint EPOLLIN = 0x001;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int epoll_wait(int epfd, [Out] EpollEvent[] events, int maxevents, int timeout);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int close(int fd);

    /// <summary>struct epoll_event, packed on x86-64 (12 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 12)]
    public struct EpollEvent
    {
        [FieldOffset(0)]
        public uint Events;

        [FieldOffset(4)]
        public ulong Data;
    }
}
#pragma warning restore SA1300, IDE1006
