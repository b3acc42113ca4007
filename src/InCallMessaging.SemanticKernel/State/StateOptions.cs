namespace InCallMessaging.SemanticKernel;

/// <summary>What the plugin keeps about messages, and for how long.</summary>
/// <remarks>Bound from <c>InCallMessaging:State</c>.</remarks>
public sealed class StateOptions
{
    /// <summary>Whether the message log keeps message texts. Off by default: only a hash of each text is kept.</summary>
    public bool StoreMessageText { get; set; }

    /// <summary>Whether the message log keeps callers' numbers in full. Off by default: numbers are kept masked.</summary>
    public bool StoreCallerNumbers { get; set; }

    /// <summary>How long logged messages are kept before the retention job deletes them.</summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan MessageRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the retention job runs in a host.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many messages the in-memory log keeps at most (the oldest go first); durable stores ignore it.</summary>
    /// <value>The default value is 10,000.</value>
    public int InMemoryCapacity { get; set; } = 10_000;
}
