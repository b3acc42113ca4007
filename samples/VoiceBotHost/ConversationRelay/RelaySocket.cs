using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel;
using VoiceBotHost.Agent;

namespace VoiceBotHost.ConversationRelay;

/// <summary>
/// The call's ConversationRelay WebSocket: reads Twilio's JSON messages and writes <c>text</c> messages. Streamed
/// answer tokens and the plugin's spoken lines (message before action, fallback) come from different tasks, and a
/// WebSocket allows one send at a time, so every write goes through one gate.
/// </summary>
public sealed class RelaySocket(WebSocket socket) : ICallSpeech, ITokenSink, IDisposable
{
    private const int MaxMessageBytes = 64 * 1024;
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private volatile bool _midUtterance;

    /// <summary>
    /// Called under the write gate just before the first token of each utterance goes out, so whatever it records is
    /// ordered against the speech (the simulator's trace of what the model sees).
    /// </summary>
    public Action? UtteranceStarting { get; set; }

    /// <summary>Speaks a whole sentence: one <c>text</c> message with <c>last: true</c>.</summary>
    public ValueTask SpeakAsync(string text, CancellationToken cancellationToken) =>
        new(SendTokenAsync(text, last: true, cancellationToken));

    public Task SendTokenAsync(string token, bool last, CancellationToken cancellationToken) =>
        SendAsync(new JsonObject { ["type"] = "text", ["token"] = token, ["last"] = last }, utteranceEnds: last, cancellationToken);

    /// <summary>The caller interrupted: the next token begins a new utterance, though the last one never said <c>last</c>.</summary>
    public void EndUtterance() => _midUtterance = false;

    public Task SendAsync(JsonObject message, CancellationToken cancellationToken) => SendAsync(message, utteranceEnds: null, cancellationToken);

    /// <param name="utteranceEnds">For a <c>text</c> token, whether it ends its utterance; <see langword="null"/> for any other message.</param>
    private async Task SendAsync(JsonObject message, bool? utteranceEnds, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            // After the caller hung up there is no one to speak to; a late token is dropped, not an error.
            if (socket.State == WebSocketState.Open)
            {
                if (utteranceEnds is { } ends)
                {
                    if (!_midUtterance)
                    {
                        UtteranceStarting?.Invoke();
                    }

                    _midUtterance = !ends;
                }

                // Not the turn's token: cancelling a WebSocket send aborts the whole socket, and an interrupted answer
                // must not hang up the call. A small message goes out at once; the timeout only guards a dead peer.
                using var timeout = new CancellationTokenSource(SendTimeout);
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The socket broke mid-send; the receive loop sees it and ends the call.
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>The next JSON message, or null once Twilio closed the socket (the call ended).</summary>
    public async Task<JsonObject?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Advance(result.Count);
            if (buffer.WrittenCount > MaxMessageBytes)
            {
                throw new InvalidDataException($"A ConversationRelay message was larger than {MaxMessageBytes} bytes.");
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            try
            {
                if (JsonNode.Parse(buffer.WrittenSpan) is JsonObject message)
                {
                    return message;
                }
            }
            catch (JsonException)
            {
                // Not JSON: skip it, like any message this host does not understand.
            }

            buffer.ResetWrittenCount();
        }
    }

    /// <summary>Closes the socket from this side, if it is still open.</summary>
    public async Task CloseAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "call ended", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The other side is already gone.
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose() => _writeGate.Dispose();
}
