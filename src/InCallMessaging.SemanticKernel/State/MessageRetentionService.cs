using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Says once at start-up where the plugin keeps its state (and, when in memory, the one line that makes it durable),
/// then deletes logged messages past <see cref="StateOptions.MessageRetention"/> every
/// <see cref="StateOptions.RetentionInterval"/>.
/// </summary>
internal sealed class MessageRetentionService(IMessageLog log, IConsentStore consent, IOptions<InCallMessagingOptions> options, TimeProvider time,
    ILogger<MessageRetentionService> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (log is InMemoryMessageLog || consent is InMemoryConsentStore)
        {
            logger.LogInformation(
                "In-call messaging keeps opt-outs, the message log and late-reply matching in memory: a restart forgets them. " +
                "Make them durable with services.AddInCallMessagingSqliteStore(\"Data Source=incall.db\") (package InCallMessaging.Sqlite).");
        }
        else
        {
            logger.LogInformation("In-call messaging keeps its state in {Store}.", ReferenceEquals(log, consent) ? log.ToString() : $"{log} and {consent}");
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var state = options.Value.State ?? new StateOptions();
        using var timer = new PeriodicTimer(state.RetentionInterval, time);
        try
        {
            do
            {
                try
                {
                    var deleted = await log.DeleteOlderThanAsync(time.GetUtcNow() - state.MessageRetention, stoppingToken).ConfigureAwait(false);
                    if (deleted > 0)
                    {
                        logger.LogInformation("Deleted {Count} logged message(s) older than {Retention}.", deleted, state.MessageRetention);
                    }
                }
                catch (StateStoreException ex)
                {
                    logger.LogWarning("The retention job could not delete expired messages this time: {Problem}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }
}
