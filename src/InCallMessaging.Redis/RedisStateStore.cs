using System.Net;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

/// <summary>
/// The Redis state store: consent (<see cref="IConsentStore"/>), the message log (<see cref="IMessageLog"/>), webhook
/// deduplication (<see cref="IDeduplicationStore"/>) and scheduled after-call texts (<see cref="IScheduledMessageStore"/>)
/// in one Redis that every host of a deployment shares.
/// </summary>
/// <remarks>
/// <para>
/// Every check-and-write is one Lua script, so it is atomic across hosts: two hosts that receive one redelivered webhook
/// cannot both pass deduplication, log the message twice, or both see an opt-out as new. Logged messages carry a TTL
/// (<see cref="RedisStoreOptions.MessageRetention"/>); consent records never expire. Deduplication keys expire when
/// their retention ends, measured by the store's clock and backed by a Redis TTL.
/// </para>
/// <para>
/// The connection is made on first use and never fails the host's start-up: while Redis is unreachable every operation
/// fails at once with a <see cref="StateStoreException"/> that names the endpoint and the fix (a webhook answers 503,
/// so the provider retries), and the store reconnects by itself. What Redis keeps across its own restarts depends on
/// its persistence: run it with <c>appendonly yes</c>.
/// </para>
/// <para>It needs one Redis (or a primary with replicas), not Redis Cluster: scripts follow keys named in the data.</para>
/// </remarks>
public sealed partial class RedisStateStore : IConsentStore, IMessageLog, IDeduplicationStore, IInboundMessageRecorder, IScheduledMessageStore,
    IAsyncDisposable, IDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly RedisKey _inboundMinutes;
    private readonly string _endpoint;
    private readonly string _store;
    private readonly TimeSpan _retention;
    private readonly TimeSpan _operationTimeout;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private volatile ConnectionMultiplexer? _connection;
    private volatile bool _disposed;

    /// <summary>Creates a store on the system clock; it connects on first use.</summary>
    /// <param name="options">Which Redis, the key prefix, retention and timeouts.</param>
    /// <exception cref="ArgumentException">The options are invalid (an empty connection string, say).</exception>
    public RedisStateStore(RedisStoreOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Creates a store; it connects on first use.</summary>
    /// <param name="options">Which Redis, the key prefix, retention and timeouts.</param>
    /// <param name="timeProvider">The clock deduplication retention is measured by.</param>
    /// <exception cref="ArgumentException">The options are invalid (an empty connection string, say).</exception>
    public RedisStateStore(RedisStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _configuration = Validate(options);
        _time = timeProvider;
        _prefix = options.KeyPrefix;
        _inboundMinutes = _prefix + "in:minutes";
        _retention = options.MessageRetention;
        _operationTimeout = options.OperationTimeout;
        _endpoint = string.Join(",", _configuration.EndPoints.Select(Describe));
        _store = $"Redis ({_endpoint})";
    }

    /// <summary>The store as logs name it: <c>Redis (</c>endpoint<c>, prefix </c>key prefix<c>)</c>.</summary>
    public override string ToString() => $"Redis ({_endpoint}, prefix {_prefix})";

    /// <summary>The key prefix, for tests that look at the keys.</summary>
    internal string KeyPrefix => _prefix;

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        // Inbound messages already queued are written first (outside the gate: a batch may still have to connect).
        await DisposeInboundAsync().ConfigureAwait(false);
        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_connection is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Closes the connection (blocking; prefer <see cref="DisposeAsync"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static ConfigurationOptions Validate(RedisStoreOptions options)
    {
        const string Example = "for example \"localhost:6379\" or \"redis.internal:6380,password=...,ssl=true\"";
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException(
                $"Redis store: the connection string is empty; set ConnectionStrings:InCallMessaging ({Example}).", nameof(options));
        }

        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"Redis store: the connection string in ConnectionStrings:InCallMessaging is not valid ({e.Message}); {Example}.", nameof(options), e);
        }

        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException(
                $"Redis store: the connection string in ConnectionStrings:InCallMessaging names no endpoint; {Example}.", nameof(options));
        }

        if (options.KeyPrefix is null)
        {
            throw new ArgumentException("Redis store: KeyPrefix is null; use \"incall:\" or another prefix (empty for none).", nameof(options));
        }

        if (options.MessageRetention <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Redis store: MessageRetention {options.MessageRetention} must be positive.", nameof(options));
        }

        foreach (var (name, value) in new[] { ("ConnectTimeout", options.ConnectTimeout), ("OperationTimeout", options.OperationTimeout) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromMinutes(5))
            {
                throw new ArgumentException($"Redis store: {name} {value} must be positive and at most 5 minutes.", nameof(options));
            }
        }

        configuration.SetDefaultPorts();
        // A Redis that is down at start-up must not stop the host; operations fail fast (503) until it is back.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        return configuration;
    }

    private static string Describe(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? "?",
    };

    /// <summary>The endpoint(s), as error messages name them.</summary>
    internal string Endpoint => _endpoint;

    /// <summary>The store's one connection, made on first use: the reply router shares it.</summary>
    internal async ValueTask<ConnectionMultiplexer> ConnectionAsync(CancellationToken cancellationToken)
    {
        _ = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return _connection!;
    }

    private async ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { } connection)
        {
            return connection.GetDatabase();
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection ??= await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
            return _connection.GetDatabase();
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Runs one operation, turning Redis's failures into <see cref="StateStoreException"/>s.</summary>
    private async ValueTask<T> RunAsync<T>(string doing, Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
            return await operation(database).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            throw Failure(doing, e);
        }
    }

    /// <summary>The <see cref="StateStoreException"/> for a Redis failure of one operation: what failed, why, and the fix.</summary>
    private StateStoreException Failure(string doing, Exception e) => e switch
    {
        RedisTimeoutException => new StateStoreException(_store,
            $"{doing} failed: Redis did not answer within OperationTimeout ({_operationTimeout.TotalSeconds:0.###} s) ({e.Message}); "
            + "check that Redis is not overloaded or blocked and the network to it, or raise OperationTimeout", e),
        RedisConnectionException => new StateStoreException(_store,
            $"{doing} failed: Redis is not reachable ({e.Message}); check that Redis is running and reachable at {_endpoint} "
            + "and that ConnectionStrings:InCallMessaging names it (with its password or TLS settings); the store reconnects by itself", e),
        _ => Refused(doing, e.Message, e),
    };

    /// <summary>The <see cref="StateStoreException"/> for an operation Redis refused (an error reply).</summary>
    private StateStoreException Refused(string doing, string reason, Exception? e) => new(_store,
        $"{doing} failed: Redis refused it ({reason}); check that the server is a writable primary with memory to spare "
        + $"and that no other data uses the key prefix '{_prefix}'", e);

    private RedisKey Key(string suffix) => _prefix + suffix;

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);
}
