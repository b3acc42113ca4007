using Microsoft.Extensions.Hosting;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>Opens the database when the host starts, so a corrupt or too-new file stops the host with its fix.</summary>
internal sealed class SqliteStoreStartup(SqliteStateStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.OpenAsync(cancellationToken).AsTask();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
