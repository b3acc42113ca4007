using InCallMessaging.Testing;

namespace InCallMessaging.Sqlite.Tests;

/// <summary>The state store contract, run against the SQLite store (a fresh file per test).</summary>
public sealed class SqliteStateStoreContractTests : StateStoreContractTests
{
    private readonly TempDatabase _database = new();

    /// <inheritdoc />
    protected override Task<StateStores> CreateStoresAsync(TimeProvider clock)
    {
        var store = _database.CreateStore(clock);
        return Task.FromResult(new StateStores(store, store, store, store, async () =>
        {
            await store.DisposeAsync();
            _database.Dispose();
        }));
    }
}
