using InCallMessaging.SemanticKernel.Replies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Evicts ended calls past their retention and expired deduplication keys on a timer, so a host that runs for weeks
/// keeps bounded memory.
/// </summary>
internal sealed class CallSessionEvictionService(InCallMessagingRuntime runtime, TimeProvider time, ILogger<CallSessionEvictionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(runtime.Options.EvictionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var evicted = runtime.Registry.EvictExpired();
                var purged = (runtime.Deduplication as InMemoryDeduplicationStore)?.Purge() ?? 0;
                if (evicted + purged > 0)
                {
                    logger.LogDebug("Evicted {Calls} ended call(s) and {Keys} deduplication key(s).", evicted, purged);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }
}
