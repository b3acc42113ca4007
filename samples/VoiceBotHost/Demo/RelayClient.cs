using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace VoiceBotHost.Demo;

/// <summary>
/// The Twilio side of ConversationRelay, for the console demo and the tests: sends <c>setup</c>, <c>prompt</c>,
/// <c>dtmf</c> and <c>interrupt</c> messages as Twilio does and collects the <c>text</c> tokens the host speaks.
/// </summary>
public sealed class RelayClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonObject> _incoming = Channel.CreateUnbounded<JsonObject>();
    private readonly List<JsonObject> _received = [];
    private readonly Task _reader;

    private RelayClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Every message the host sent so far.</summary>
    public IReadOnlyList<JsonObject> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Opens the relay socket as Twilio does: the upgrade signed with <paramref name="authToken"/> over the ws(s):// URL.</summary>
    /// <param name="url">The relay URL from the TwiML.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <param name="configure">Adjusts the socket's options.</param>
    /// <param name="authToken">The auth token to sign with (the development token by default); <see langword="null"/> sends no signature.</param>
    public static async Task<RelayClient> ConnectAsync(Uri url, CancellationToken cancellationToken, Action<ClientWebSocketOptions>? configure = null,
        string? authToken = DevelopmentCredentials.AuthToken)
    {
        var socket = new ClientWebSocket();
        if (authToken is not null)
        {
            socket.Options.SetRequestHeader("X-Twilio-Signature", InCallMessaging.Twilio.TwilioSignature.Compute(url.AbsoluteUri, [], authToken));
        }

        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(url, cancellationToken);
        return new RelayClient(socket);
    }

    public Task SendSetupAsync(string callSid, string from, string to, IReadOnlyDictionary<string, string>? customParameters = null)
    {
        var parameters = new JsonObject();
        foreach (var (name, value) in customParameters ?? new Dictionary<string, string>())
        {
            parameters[name] = value;
        }

        return SendAsync(new JsonObject
        {
            ["type"] = "setup",
            ["sessionId"] = "VX" + Guid.NewGuid().ToString("N"),
            ["accountSid"] = DevelopmentCredentials.AccountSid,
            ["callSid"] = callSid,
            ["from"] = from,
            ["to"] = to,
            ["forwardedFrom"] = to,
            ["callerName"] = "",
            ["direction"] = "inbound",
            ["callType"] = "PSTN",
            ["callStatus"] = "RINGING",
            ["customParameters"] = parameters,
        });
    }

    public Task SendPromptAsync(string words) =>
        SendAsync(new JsonObject { ["type"] = "prompt", ["voicePrompt"] = words, ["lang"] = "en-US", ["last"] = true });

    public Task SendDtmfAsync(string digit) => SendAsync(new JsonObject { ["type"] = "dtmf", ["digit"] = digit });

    public Task SendInterruptAsync(string utteranceUntilInterrupt) => SendAsync(new JsonObject
    {
        ["type"] = "interrupt",
        ["utteranceUntilInterrupt"] = utteranceUntilInterrupt,
        ["durationUntilInterruptMs"] = 800,
    });

    public async Task SendAsync(JsonObject message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
    }

    /// <summary>The next thing the agent says: <c>text</c> tokens up to the one with <c>last: true</c>.</summary>
    public async Task<string> ReceiveUtteranceAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var text = new StringBuilder();
        try
        {
            while (true)
            {
                var message = await _incoming.Reader.ReadAsync(cancel.Token);
                if ((string?)message["type"] != "text")
                {
                    continue;
                }

                text.Append((string?)message["token"]);
                if (message["last"]?.GetValue<bool>() == true)
                {
                    return text.ToString();
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The agent said nothing (complete) within {timeout.TotalSeconds:0} s; heard so far: \"{text}\".");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The host closed the socket; heard so far: \"{text}\".");
        }
    }

    /// <summary>Hangs up: Twilio closes the socket when the call ends.</summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            // The reader is still receiving: it picks up the host's closing frame.
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "caller hung up", timeout.Token);
        }

        await _reader.WaitAsync(TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (JsonNode.Parse(message.ToArray()) is JsonObject json)
                {
                    lock (_received)
                    {
                        _received.Add(json);
                    }

                    _incoming.Writer.TryWrite(json);
                }

                message.SetLength(0);
            }
        }
        catch (WebSocketException)
        {
            // The host went away; readers see the channel complete.
        }
        finally
        {
            _incoming.Writer.TryComplete();
        }
    }
}
