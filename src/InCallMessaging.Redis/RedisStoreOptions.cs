namespace InCallMessaging.Redis;

/// <summary>Which Redis the state store uses, where its keys live, how long messages are kept and how long it waits.</summary>
/// <remarks>
/// The host usually takes the connection string from <c>ConnectionStrings:InCallMessaging</c>, for example
/// <c>redis.internal:6379,password=...,ssl=true</c> (StackExchange.Redis configuration syntax). Several hosts that share
/// one Redis and one <see cref="KeyPrefix"/> share consent, the message log and webhook deduplication.
/// </remarks>
public sealed class RedisStoreOptions
{
    /// <summary>The StackExchange.Redis configuration string: endpoints and options, for example <c>localhost:6379</c>.</summary>
    /// <value>The default value is empty, which fails validation: set it from <c>ConnectionStrings:InCallMessaging</c>.</value>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Prefixes every key the store writes, so it can share a Redis database with other data.</summary>
    /// <value>The default value is <c>incall:</c>.</value>
    public string KeyPrefix { get; set; } = "incall:";

    /// <summary>
    /// How long Redis keeps a logged message after its last write (the key's TTL). The retention job deletes messages
    /// older than <c>InCallMessaging:State:MessageRetention</c> earlier and exactly; the TTL is the backstop that lets
    /// Redis reclaim them even when no host runs it. Consent records never expire.
    /// </summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan MessageRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long connecting to Redis may take.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one operation waits for Redis's answer before it fails with a <c>StateStoreException</c>. While Redis is
    /// unreachable, operations fail at once instead of queueing, so a webhook answers 503 promptly and the provider retries.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
