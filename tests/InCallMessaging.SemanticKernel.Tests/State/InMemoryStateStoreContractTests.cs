using InCallMessaging.Testing;

namespace InCallMessaging.SemanticKernel.Tests.State;

/// <summary>The state store contract, run against the in-memory defaults.</summary>
public sealed class InMemoryStateStoreContractTests : StateStoreContractTests
{
    /// <inheritdoc />
    protected override Task<StateStores> CreateStoresAsync(TimeProvider clock) =>
        Task.FromResult(new StateStores(new InMemoryConsentStore(), new InMemoryMessageLog(), new InMemoryDeduplicationStore(clock),
            new InMemoryScheduledMessageStore(), null));
}
