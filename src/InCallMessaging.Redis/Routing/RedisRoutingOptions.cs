namespace InCallMessaging.Redis;

/// <summary>
/// How this instance takes part in routing replies between instances through Redis: its id, how long its claim on a
/// call lasts without renewal, how often it polls its inbox, how long a reply waits for a call being claimed and how often a
/// handed-off message is retried.
/// </summary>
/// <remarks>The router uses the Redis store's connection and key prefix (<see cref="RedisStoreOptions"/>).</remarks>
public sealed class RedisRoutingOptions
{
    /// <summary>This instance's id: names its inbox stream and its claim on its calls. Unique among live instances.</summary>
    /// <value>The default value is the machine name, the process id and a random suffix.</value>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// How long this instance's claim on a live call lasts without renewal (renewed every third of it). When an instance
    /// dies, replies to its calls go to the after-call path on the instance that receives them once the claim lapses.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the inbox is read when no doorbell rang (a missed pub/sub message, or Redis was away).</summary>
    /// <value>The default value is 500 milliseconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a reply (or status) waits, parked in Redis, for its call to be claimed, when the call is known (its route
    /// or its logged outbound message names it) but no instance has claimed it yet (a race at call start: the owner's
    /// claim has not landed). The claim moves it to the owner at once; past this, a live instance delivers it through the
    /// after-call path, once. Keep it longer than a renewal (a third of <see cref="LeaseDuration"/>): a claim whose write
    /// failed is written again by the next renewal, which still collects what was parked.
    /// </summary>
    /// <value>The default value is 15 seconds.</value>
    public TimeSpan ParkedReplyTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times a handed-off message is delivered before it moves to the dead-letter stream.</summary>
    /// <value>The default value is 5.</value>
    public int MaxDeliveries { get; set; } = 5;
}
