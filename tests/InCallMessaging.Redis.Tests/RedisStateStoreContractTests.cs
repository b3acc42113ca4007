using InCallMessaging.Testing;

namespace InCallMessaging.Redis.Tests;

/// <summary>The state store contract, run against the Redis store (one redis-server for the class, a fresh key prefix per test).</summary>
public sealed class RedisStateStoreContractTests(RedisServerFixture redis) : StateStoreContractTests, IClassFixture<RedisServerFixture>
{
    /// <inheritdoc />
    protected override Task<StateStores> CreateStoresAsync(TimeProvider clock)
    {
        var store = redis.CreateStore(clock);
        return Task.FromResult(new StateStores(store, store, store, store, store.DisposeAsync));
    }
}
