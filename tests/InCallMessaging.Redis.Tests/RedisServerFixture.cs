using InCallMessaging.Testing;

namespace InCallMessaging.Redis.Tests;

/// <summary>One real redis-server per test class (an xunit class fixture); each test takes a key prefix of its own.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    /// <summary>The server.</summary>
    public RedisServer Server => _server ?? throw new InvalidOperationException("InitializeAsync has not run.");

    /// <summary>A key prefix no other test uses.</summary>
    public static string FreshPrefix() => $"test-{Guid.NewGuid():N}:";

    /// <summary>A store on this server under a fresh key prefix.</summary>
    public RedisStateStore CreateStore(TimeProvider? clock = null, Action<RedisStoreOptions>? configure = null)
    {
        var options = new RedisStoreOptions
        {
            ConnectionString = Server.ConnectionString,
            KeyPrefix = FreshPrefix(),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            OperationTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options);
        return new RedisStateStore(options, clock ?? TimeProvider.System);
    }

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
