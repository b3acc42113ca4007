using System.Net;
using System.Net.Sockets;
using InCallMessaging.Benchmarks.Load;

namespace InCallMessaging.Benchmarks.Routing;

/// <summary>
/// One keep-alive HTTP/1.1 connection to an instance's Twilio messaging webhook, posting inbound-SMS form requests
/// signed as Twilio signs them (<see cref="SignedRequestTemplate"/>: X-Twilio-Signature over the instance's URL and the
/// parameters), one at a time. The instance checks every signature; nothing is skipped for loopback.
/// </summary>
internal sealed class SignedWebhookConnection : IAsyncDisposable
{
    private readonly SignedRequestTemplate _request;
    private readonly IPEndPoint _endPoint;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private Socket? _socket;

    /// <param name="port">The instance's port on 127.0.0.1.</param>
    /// <param name="authToken">The auth token that signs the requests: the instances' own, or another to check that they refuse it.</param>
    public SignedWebhookConnection(int port, string authToken = Fixture.AuthToken)
    {
        _endPoint = new IPEndPoint(IPAddress.Loopback, port);
        _request = new SignedRequestTemplate("127.0.0.1", port, RouteLoad.WebhookPath, authToken);
    }

    /// <summary>Posts the reply with MessageSid <see cref="RouteLoad.Sid"/>(<paramref name="nonce"/>, <paramref name="sequence"/>) from <paramref name="caller"/>; returns the status code.</summary>
    public async Task<int> PostAsync(uint nonce, long sequence, string caller)
    {
        _request.Fill(nonce, sequence, caller);
        if (_socket is null)
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await _socket.ConnectAsync(_endPoint);
        }

        try
        {
            var data = _request.Request;
            while (!data.IsEmpty)
            {
                data = data[await _socket.SendAsync(data, SocketFlags.None)..];
            }

            var filled = 0;
            var headerEnd = -1;
            while (true)
            {
                var read = await _socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
                if (read == 0)
                {
                    throw new IOException("The instance closed the connection.");
                }

                filled += read;
                var status = HttpResponseParser.TryComplete(_buffer.AsSpan(0, filled), ref headerEnd);
                if (status >= 0)
                {
                    return status;
                }

                if (filled == _buffer.Length)
                {
                    throw new InvalidDataException("The webhook's response is larger than 16 KiB.");
                }
            }
        }
        catch
        {
            _socket.Dispose();
            _socket = null;
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        return ValueTask.CompletedTask;
    }
}
