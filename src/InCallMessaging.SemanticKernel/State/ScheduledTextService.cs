using InCallMessaging.SemanticKernel.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Sends the after-call texts that wait for a call no longer live anywhere: at start-up those that calls of a stopped
/// process scheduled (a durable store keeps them), then every <see cref="InCallMessagingOptions.ScheduledTextSweepInterval"/>
/// those of calls whose instance stopped and did not come back, or whose send at the end could not start. At shutdown,
/// with the in-memory store, it sends those of the calls that end with the process (else they would be lost); with a
/// durable store they wait for the next start, or for another instance's sweep. Each text goes out at most once.
/// </summary>
internal sealed class ScheduledTextService(IServiceProvider services, IOptions<InCallMessagingOptions> options, TimeProvider time,
    ILogger<ScheduledTextService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _sweeps = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Sends.Store is InMemoryScheduledMessageStore && services.GetService<IMessageLog>() is { } log and not InMemoryMessageLog)
        {
            logger.LogWarning(
                "After-call texts are scheduled in memory: {Store} cannot keep them, so those of calls live when this process stops are sent at a " +
                "graceful shutdown and lost in a crash. The SQLite and Redis stores keep them across restarts.", log.ToString());
        }

        // In the background: a slow provider must not hold up the host's start.
        _sweeps = Task.Run(() => SweepAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var sends = Sends;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeps.WaitAsync(cancellationToken).ConfigureAwait(false);
        await sends.WhenIdleAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (sends.Store is InMemoryScheduledMessageStore)
        {
            var pending = await sends.Store.GetPendingAsync(null, cancellationToken).ConfigureAwait(false);
            foreach (var callId in pending.Select(m => m.CallId).Distinct(StringComparer.Ordinal))
            {
                await sends.SendCallAsync(callId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    private AfterCallSends Sends => services.GetRequiredService<InCallMessagingRuntime>().AfterCall;

    private async Task SweepAsync(CancellationToken stopping)
    {
        await SendAsync("start-up", stopping).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.ScheduledTextSweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await SendAsync("this sweep", stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    private async Task SendAsync(string when, CancellationToken stopping)
    {
        try
        {
            var sent = await Sends.SendEndedCallsAsync(stopping).ConfigureAwait(false);
            if (sent > 0)
            {
                logger.LogInformation("Sent {Count} after-call text(s) of calls that ended before {When}.", sent, when);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping: what was not taken waits for the next start.
        }
        catch (StateStoreException ex)
        {
            logger.LogError("The after-call texts of ended calls could not be sent at {When}; they are tried again at the next sweep: {Problem}", when, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The after-call texts of ended calls could not be sent at {When}; they are tried again at the next sweep.", when);
        }
    }
}
