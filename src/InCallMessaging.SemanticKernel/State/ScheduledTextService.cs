using InCallMessaging.SemanticKernel.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Sends, at start-up, the after-call texts that calls of a stopped process scheduled (a durable store keeps them), and
/// at shutdown, with the in-memory store, those of the calls that end with the process (else they would be lost). With a
/// durable store they wait for the next start instead. Each text goes out at most once.
/// </summary>
internal sealed class ScheduledTextService(IServiceProvider services, ILogger<ScheduledTextService> logger) : IHostedService
{
    private Task _startup = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Sends.Store is InMemoryScheduledMessageStore && services.GetService<IMessageLog>() is { } log and not InMemoryMessageLog)
        {
            logger.LogWarning(
                "After-call texts are scheduled in memory: {Store} cannot keep them, so those of calls live when this process stops are sent at a " +
                "graceful shutdown and lost in a crash. The SQLite store keeps them across restarts.", log.ToString());
        }

        // In the background: a slow provider must not hold up the host's start.
        _startup = Task.Run(() => SendAsync("start-up", CancellationToken.None), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var sends = Sends;
        await _startup.WaitAsync(cancellationToken).ConfigureAwait(false);
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

    private AfterCallSends Sends => services.GetRequiredService<InCallMessagingRuntime>().AfterCall;

    private async Task SendAsync(string when, CancellationToken cancellationToken)
    {
        try
        {
            var sent = await Sends.SendEndedCallsAsync(cancellationToken).ConfigureAwait(false);
            if (sent > 0)
            {
                logger.LogInformation("Sent {Count} after-call text(s) of calls that ended before {When}.", sent, when);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "The after-call texts of ended calls could not be sent at {When}; they are tried again at the next start: {Problem}", when, ex.Message);
        }
    }
}
