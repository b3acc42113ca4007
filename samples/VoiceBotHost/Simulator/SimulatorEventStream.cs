using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace VoiceBotHost.Simulator;

/// <summary>
/// Server-sent events for the simulator's phone pane: texts the agent sent (from the loopback provider) and their
/// delivery statuses. Each open page gets its own bounded queue, so a stalled tab cannot hold up a send.
/// </summary>
public sealed class SimulatorEventStream
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<Channel<string>, byte> _subscribers = new();

    public void Publish(string eventName, object payload)
    {
        var frame = $"event: {eventName}\ndata: {JsonSerializer.Serialize(payload, Json)}\n\n";
        foreach (var subscriber in _subscribers.Keys)
        {
            subscriber.Writer.TryWrite(frame);
        }
    }

    public async Task StreamAsync(HttpContext context, CancellationToken stopping)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        _subscribers.TryAdd(channel, 0);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.WriteAsync(": connected\n\n", done.Token);
            await context.Response.Body.FlushAsync(done.Token);
            while (!done.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(done.Token);
                wait.CancelAfter(KeepAlive);
                string frame;
                try
                {
                    frame = await channel.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!done.IsCancellationRequested)
                {
                    frame = ": keep-alive\n\n";
                }

                await context.Response.WriteAsync(frame, done.Token);
                await context.Response.Body.FlushAsync(done.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed, or the host is stopping.
        }
        finally
        {
            _subscribers.TryRemove(channel, out _);
        }
    }
}
