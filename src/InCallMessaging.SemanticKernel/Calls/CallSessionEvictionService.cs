using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Evicts the in-memory registry's ended calls past their retention on a timer, so a quiet host that runs for weeks
/// keeps bounded memory too. Only calls: a deduplication store expires its own keys.
/// </summary>
internal sealed class CallSessionEvictionService(CallSessionRegistry registry, IOptions<InCallMessagingOptions> options, TimeProvider time,
    ILogger<CallSessionEvictionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EvictionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var evicted = registry.EvictExpired();
                if (evicted > 0)
                {
                    logger.LogDebug("Evicted {Calls} ended call(s).", evicted);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }
}
