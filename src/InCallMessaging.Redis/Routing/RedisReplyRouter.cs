using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

/// <summary>
/// Routes replies and delivery statuses between instances that share one Redis: each instance claims its live calls
/// (a lease it renews), records which call sent which message, and reads an inbox stream of its own into which other
/// instances hand the replies to its calls.
/// </summary>
/// <remarks>
/// <para>
/// A hand-off is one Lua script: the message is marked as seen, its call and that call's owner are looked up, and the
/// message is appended to the owner's inbox (<c>XADD</c>) with a doorbell (<c>PUBLISH</c>), all or nothing. When no
/// instance owns the call, the mark is removed and the receiving instance takes the after-call path itself.
/// </para>
/// <para>
/// The owner reads its inbox through a consumer group when its doorbell rings and every
/// <see cref="RedisRoutingOptions.PollInterval"/> (StackExchange.Redis has no blocking read): first what it read before
/// and did not acknowledge, then what is new. An entry is acknowledged and deleted only after it was delivered; one
/// that keeps failing moves to the <c>dead-letter</c> stream after <see cref="RedisRoutingOptions.MaxDeliveries"/>.
/// </para>
/// <para>
/// Each instance keeps a heartbeat key alive with its claims. Every <see cref="RedisRoutingOptions.LeaseDuration"/> a
/// janitor looks for inboxes whose instance has no heartbeat, claims what they hold (entries read and never
/// acknowledged once idle for a lease, and entries never read), delivers each through the after-call path here (the
/// delivery is idempotent on the message id), and deletes the inbox once it is empty.
/// </para>
/// <para>
/// A delivery status that names a message no call has recorded yet (the callback beat the send's answer) is parked for
/// two minutes; when the call records the message, the parked statuses move into its instance's inbox in the same step.
/// </para>
/// <para>
/// A reply (or status) whose call is known (its route, or its outbound message in the shared message log) but whose claim
/// has not landed yet (a race at call start: the claim is written behind the call's start, the log by another path) is
/// parked under the call; the claim moves what is parked into the owner's inbox in the same script, so a hand-off lands
/// either before the claim (parked, then moved) or after it (straight to the inbox), never both or neither. A call
/// whose claim does not land within <see cref="RedisRoutingOptions.ParkedReplyTimeout"/> has its parked replies taken
/// by a sweeping instance through the after-call path, once. A call that was claimed and has no owner now ended or lost
/// its instance: its replies take the after-call path at once.
/// </para>
/// </remarks>
public sealed class RedisReplyRouter : IReplyRouter, IHostedService, IAsyncDisposable, IDisposable
{
    private const string Group = "owners";
    private const string InboundKind = "in";
    private const string StatusKind = "status";
    private const int ReadBatch = 64;

    // What each route key of a hand-off is (RoutingScripts.HandOff): the replied-to message's route (strict) and its log
    // entry (strict), the conversation's route and its log, the caller's live call; a status: its message's route
    // (strict), then its client reference's.
    private const string InboundKeyKinds = "SHszs";
    private const string StatusKeyKinds = "Ss";
    private static readonly TimeSpan RouteRetention = TimeSpan.FromDays(1);
    private static readonly TimeSpan SeenRetention = TimeSpan.FromHours(24);
    private static readonly TimeSpan ParkingRetention = TimeSpan.FromMinutes(2);
    private static readonly RedisKey NoKey = string.Empty;

    private readonly RedisStateStore _store;
    private readonly RedisRoutingOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly string _storeName;
    private readonly RedisKey _inbox;
    private readonly RedisKey _heartbeat;
    private readonly RedisKey _instances;
    private readonly RedisKey _parkedCalls;
    private readonly Inbox _own;
    private readonly string _janitorConsumer;
    private readonly RedisChannel _doorbell;
    private readonly ConcurrentDictionary<string, string> _live = new(StringComparer.Ordinal);
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _bell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly Task _writer;
    private Task? _reader;
    private Task? _renewer;
    private Task? _janitor;
    private Task? _sweeper;
    private volatile TaskCompletionSource? _writesPaused;
    private ConnectionMultiplexer? _subscribedOn;
    private IHandedOffReplyDelivery? _delivery;
    private volatile bool _paused;

    // Entries this instance read and did not acknowledge are read again only when there may be some: at start, after a
    // reconnect, after a pass that failed, and after an entry whose delivery failed and is to be retried. Every other
    // pass (a doorbell, the poll) reads new entries only, one round trip less on each hand-off.
    private volatile bool _rereadPending = true;
    private int _disposed;

    internal RedisReplyRouter(RedisStateStore store, RedisRoutingOptions options, IServiceProvider services, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _store = store;
        _options = options;
        _services = services;
        _logger = logger;
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _prefix = store.KeyPrefix;
        _storeName = $"Redis ({store.Endpoint})";
        _inbox = _prefix + "inbox:" + options.InstanceId;
        _heartbeat = HeartbeatKey(options.InstanceId);
        _instances = _prefix + "instances";
        _parkedCalls = _prefix + "parked-calls";
        _own = new Inbox(_inbox, options.InstanceId);
        _janitorConsumer = "janitor:" + options.InstanceId;
        _doorbell = RedisChannel.Literal(_prefix + "doorbell:" + options.InstanceId);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>This instance's id, as its claims and its inbox name it.</summary>
    public string InstanceId => _options.InstanceId;

    /// <summary>A call started here: claims it, and makes it the caller's live call.</summary>
    /// <param name="session">The call.</param>
    public void CallStarted(CallSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var callerKey = CallerKeys.Of(session.CallerNumber);
        _live[session.CallId] = callerKey;
        Enqueue(database => ClaimAsync(database, RoutingScripts.Claim, session.CallId, CallerLiveKey(callerKey)));
    }

    /// <summary>A call of this instance ended: gives up its claim, and the caller's live call if it is this one.</summary>
    /// <param name="session">The call.</param>
    public void CallEnded(CallSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var callerKey = _live.TryRemove(session.CallId, out var key) ? key : CallerKeys.Of(session.CallerNumber);
        Enqueue(database => ClaimAsync(database, RoutingScripts.End, session.CallId, CallerLiveKey(callerKey)));
    }

    /// <summary>A call of this instance sent a message: replies naming it, or written in its conversation, are to come here.</summary>
    /// <param name="session">The call.</param>
    /// <param name="message">The message sent.</param>
    /// <param name="conversation">The conversation it went out in.</param>
    public void MessageSent(CallSession session, CallMessage message, CallerConversation conversation)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        RedisKey[] keys = [MessageKey(message.MessageId), ConversationKey(conversation), ParkingKey(message.MessageId), _inbox, _instances];
        RedisValue[] values = [session.CallId, (long)RouteRetention.TotalMilliseconds, _options.InstanceId, _prefix + "doorbell:" + _options.InstanceId];
        Enqueue(database => database.ScriptEvaluateAsync(RoutingScripts.RecordSent, keys, values));
    }

    /// <summary>Hands an inbound message to the instance that owns its call, deduplicated in the same step.</summary>
    /// <param name="message">The message.</param>
    /// <param name="conversation">The conversation it was written in.</param>
    /// <param name="cancellationToken">Cancels the hand-off.</param>
    /// <returns>Whether it was handed off, was a redelivery, or belongs to no live call anywhere.</returns>
    /// <exception cref="StateStoreException">Redis is unreachable or refused the script.</exception>
    public ValueTask<RouteResult> RouteInboundAsync(InboundMessage message, CallerConversation conversation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var repliedTo = message.InReplyToMessageId;
        RedisKey[] keys =
        [
            _prefix + "route:seen:in:" + message.MessageId,
            repliedTo is null ? NoKey : MessageKey(repliedTo),
            repliedTo is null ? NoKey : _store.LoggedOutboundKey(repliedTo),
            ConversationKey(conversation),
            _store.LoggedConversationKey(conversation.Channel, conversation.CallerKey, conversation.SenderIdentity),
            CallerLiveKey(conversation.CallerKey),
        ];
        var payload = JsonSerializer.Serialize(message, RoutingJsonContext.Default.InboundMessage);
        return HandOffAsync($"Handing off inbound message {message.MessageId}", keys, InboundKeyKinds, InboundKind, payload, NoKey, cancellationToken);
    }

    /// <summary>Hands a delivery status to the instance whose call sent its message, deduplicated in the same step.</summary>
    /// <param name="update">The status.</param>
    /// <param name="cancellationToken">Cancels the hand-off.</param>
    /// <returns>
    /// Whether it was handed off (or parked: no call has recorded its message yet), was a redelivery, or belongs to no
    /// live call anywhere.
    /// </returns>
    /// <exception cref="StateStoreException">Redis is unreachable or refused the script.</exception>
    public ValueTask<RouteResult> RouteStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        RedisKey[] keys =
        [
            _prefix + "route:seen:status:" + update.MessageId + ":" + update.Status.ToLowerInvariant(),
            MessageKey(update.MessageId),
            update.ClientReference is { } reference ? MessageKey(reference) : NoKey,
        ];
        var payload = JsonSerializer.Serialize(update, RoutingJsonContext.Default.DeliveryStatusUpdate);
        return HandOffAsync($"Handing off status '{update.Status}' of message {update.MessageId}", keys, StatusKeyKinds, StatusKind, payload,
            ParkingKey(update.MessageId), cancellationToken);
    }

    /// <summary>
    /// Whether a call not live here is held by another instance, by its claim in Redis: so a sweep for ended calls'
    /// after-call texts leaves alone those of a call still live elsewhere. A claim of another instance is live until it
    /// lapses (its instance ended the call, released it at shutdown, or died a <see cref="RedisRoutingOptions.LeaseDuration"/>
    /// ago); a claim left under this instance's id by an earlier process is not. A call never seen claimed counts as live
    /// for one <see cref="RedisRoutingOptions.LeaseDuration"/> after <paramref name="lastKnownLive"/>: its claim may still be
    /// on its way (renewals write it again within a lease).
    /// </summary>
    /// <param name="callId">The call.</param>
    /// <param name="lastKnownLive">When the call was last known to be live.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns><see langword="true"/> while the call is held here or by a live claim of another instance.</returns>
    /// <exception cref="StateStoreException">Redis is unreachable.</exception>
    public async ValueTask<bool> IsLiveElsewhereAsync(string callId, DateTimeOffset lastKnownLive, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        if (_live.ContainsKey(callId))
        {
            return true;
        }

        RedisValue owner;
        bool claimed;
        try
        {
            var database = (await _store.ConnectionAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();
            var batch = database.CreateBatch();
            var ownerRead = batch.StringGetAsync(OwnerKey(callId));
            var claimedRead = batch.KeyExistsAsync(ClaimedKey(callId));
            batch.Execute();
            owner = await ownerRead.WaitAsync(cancellationToken).ConfigureAwait(false);
            claimed = await claimedRead.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            throw new StateStoreException(_storeName,
                $"Looking up the owner of call {callId} failed ({e.Message}); check that Redis is running and reachable at {_store.Endpoint}", e);
        }

        if (owner.HasValue)
        {
            // This instance's id on a call it does not hold: an earlier process's claim, lapsing.
            return owner != (RedisValue)_options.InstanceId;
        }

        return !claimed && _time.GetUtcNow() - lastKnownLive < _options.LeaseDuration;
    }

    /// <summary>
    /// Starts reading this instance's inbox, renewing its claims and heartbeat, and sweeping dead instances' inboxes and
    /// the parked replies of calls never claimed in time; it never waits for Redis.
    /// </summary>
    /// <param name="cancellationToken">Unused: start-up does not wait.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_reader is null)
        {
            Enqueue(Heartbeat);
        }

        _reader ??= Task.Run(ReadLoopAsync, CancellationToken.None);
        _renewer ??= Task.Run(RenewLoopAsync, CancellationToken.None);
        _janitor ??= Task.Run(JanitorLoopAsync, CancellationToken.None);
        _sweeper ??= Task.Run(SweepParkedLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Shuts down gracefully: stops reading the inbox (the deliveries in progress finish; what was read and not started
    /// stays pending), stops renewing, then releases this instance's claims on its calls and its heartbeat (each only if
    /// still its own) and, when its inbox is empty, deletes it and leaves the set of instances, all in one script. Replies
    /// to its calls then take the after-call path on the instance that receives them at once, not after the lease.
    /// </summary>
    /// <param name="cancellationToken">
    /// The host's shutdown deadline: when it fires, the deliveries in progress are cancelled (they stay pending, and a
    /// live instance's janitor delivers them) and the claims are left to lapse.
    /// </param>
    /// <returns>A task that completes when the loops have stopped and the claims are released.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        ResumeWrites();
        await StopLoopsAsync(cancellationToken).ConfigureAwait(false);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enqueued = _writes.Writer.TryWrite(new Write(async database =>
        {
            try
            {
                var callIds = _live.Keys.ToArray();
                RedisKey[] keys = [_heartbeat, _inbox, _instances, .. callIds.Select(OwnerKey)];
                var count = (int)await database.ScriptEvaluateAsync(RoutingScripts.Release, keys, [_options.InstanceId]).ConfigureAwait(false);
                _logger.LogInformation("Redis routing: instance {Instance} stopped and released its claims on {Count} call(s).", _options.InstanceId, count);
                released.TrySetResult();
            }
            catch (Exception e)
            {
                released.TrySetException(e);
                throw;
            }
        }, null));
        if (enqueued)
        {
            // A failure was logged by the write loop: the claims lapse after the lease instead.
            await Task.WhenAny(released.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the loops without releasing anything, as a process that hangs or dies would (for tests): the claims and
    /// the heartbeat lapse after the lease, and what the inbox holds waits for a live instance's janitor.
    /// </summary>
    internal async Task HaltAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _aborting.CancelAsync().ConfigureAwait(false);
        await StopLoopsAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Stops reading the inbox until <see cref="ResumeReading"/>; completes once no read pass is in progress (for tests).</summary>
    internal async Task PauseReadingAsync()
    {
        _paused = true;
        await _reading.WaitAsync().ConfigureAwait(false);
        _reading.Release();
    }

    /// <summary>Reads the inbox again, at once (for tests).</summary>
    internal void ResumeReading()
    {
        _paused = false;
        Ring();
    }

    /// <summary>
    /// Holds back the hooks' writes (claims, routes, renewals) until <see cref="ResumeWrites"/>, as a slow or briefly
    /// unreachable Redis would at call start, while the message log (written by another path) goes through (for tests).
    /// </summary>
    internal void PauseWrites() =>
        Interlocked.CompareExchange(ref _writesPaused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Writes what the hooks queued while paused, in order (for tests; stopping resumes too).</summary>
    internal void ResumeWrites() => Interlocked.Exchange(ref _writesPaused, null)?.TrySetResult();

    private async Task StopLoopsAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        var loops = new[] { _reader, _renewer, _janitor, _sweeper }.OfType<Task>().ToArray();
        using var abort = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _aborting);
        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the loops (cancelling the deliveries in progress), writes what the hooks queued, and unsubscribes (the store
    /// owns the connection). It releases nothing: call <see cref="StopAsync"/> first (the host does) to hand this
    /// instance's calls over at once.
    /// </summary>
    /// <returns>A task that completes when it is done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await HaltAsync().ConfigureAwait(false);
        ResumeWrites();
        _writes.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        if (_subscribedOn is { } connection)
        {
            connection.ConnectionRestored -= OnConnectionRestored;
            try
            {
                await connection.GetSubscriber().UnsubscribeAsync(_doorbell).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                // The subscription ends with the connection anyway.
            }
        }

        _stopping.Dispose();
        _aborting.Dispose();
        _reading.Dispose();
    }

    /// <summary>Stops the loops and unsubscribes (blocking; prefer <see cref="DisposeAsync"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Completes once every write the hooks queued before it has been sent and answered (for tests).</summary>
    internal Task FlushAsync()
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writes.Writer.TryWrite(new Write(null, flushed)))
        {
            flushed.TrySetResult();
        }

        return flushed.Task;
    }

    private static void Validate(RedisRoutingOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.InstanceId) || options.InstanceId.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException(
                $"Redis routing: InstanceId '{options.InstanceId}' must be non-empty without spaces; leave the default (machine name, process id, random suffix) or set a unique id per instance.",
                nameof(options));
        }

        if (options.LeaseDuration < TimeSpan.FromMilliseconds(300) || options.LeaseDuration > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"Redis routing: LeaseDuration {options.LeaseDuration} must be between 300 ms and 10 minutes (default 30 s).", nameof(options));
        }

        if (options.PollInterval < TimeSpan.FromMilliseconds(10) || options.PollInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"Redis routing: PollInterval {options.PollInterval} must be between 10 ms and 1 minute (default 500 ms).", nameof(options));
        }

        if (options.ParkedReplyTimeout < TimeSpan.FromMilliseconds(100) || options.ParkedReplyTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException(
                $"Redis routing: ParkedReplyTimeout {options.ParkedReplyTimeout} must be between 100 ms and 10 minutes (default 15 s).", nameof(options));
        }

        if (options.MaxDeliveries < 1)
        {
            throw new ArgumentException($"Redis routing: MaxDeliveries {options.MaxDeliveries} must be at least 1 (default 5).", nameof(options));
        }
    }

    private RedisKey OwnerKey(string callId) => _prefix + "call:" + callId + ":owner";

    private RedisKey ClaimedKey(string callId) => _prefix + "call:" + callId + ":claimed";

    private RedisKey HeartbeatKey(string instanceId) => _prefix + "instance:" + instanceId;

    private RedisKey ParkingKey(string messageId) => _prefix + "parked:" + messageId;

    private RedisKey CallParkingKey(string callId) => _prefix + "parked:call:" + callId;

    private RedisKey CallerLiveKey(string callerKey) => _prefix + "caller-live:" + callerKey;

    private RedisKey MessageKey(string messageId) => _prefix + "route:msg:" + messageId;

    private RedisKey ConversationKey(CallerConversation conversation) =>
        _prefix + "route:conv:" + conversation.Channel.ToString() + ":" + conversation.CallerKey + ":" + conversation.SenderIdentity;

    private async ValueTask<RouteResult> HandOffAsync(string doing, RedisKey[] keys, string keyKinds, string kind, string payload, RedisKey parking,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue[] values =
        [
            (long)SeenRetention.TotalMilliseconds, _prefix, kind, payload, (string?)parking ?? string.Empty, (long)ParkingRetention.TotalMilliseconds,
            keyKinds, (long)_options.ParkedReplyTimeout.TotalMilliseconds, (long)RouteRetention.TotalMilliseconds, (long)RouteRetention.TotalMilliseconds,
        ];
        RedisResult result;
        try
        {
            var connection = await _store.ConnectionAsync(cancellationToken).ConfigureAwait(false);
            result = await connection.GetDatabase().ScriptEvaluateAsync(RoutingScripts.HandOff, keys, values)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            throw new StateStoreException(_storeName,
                $"{doing} failed ({e.Message}); check that Redis is running and reachable at {_store.Endpoint}; the webhook answers 503 and the provider retries", e);
        }

        return (int)result switch
        {
            RoutingScripts.HandedOff => RouteResult.HandedOff,
            RoutingScripts.Parked => Parked(doing),
            RoutingScripts.Duplicate => RouteResult.Duplicate,
            _ => RouteResult.NotRouted,
        };
    }

    private RouteResult Parked(string doing)
    {
        _logger.LogInformation("Redis routing: {Doing}: its call is known but not claimed by any instance yet; parked until the claim lands (at most {Timeout} ms).",
            doing, _options.ParkedReplyTimeout.TotalMilliseconds);
        return RouteResult.HandedOff;
    }

    /// <summary>
    /// Runs <see cref="RoutingScripts.Claim"/> (a call started, or its claim is renewed) or <see cref="RoutingScripts.End"/>
    /// for one call; either moves what was parked for the call into this instance's inbox in the same step.
    /// </summary>
    private async Task ClaimAsync(IDatabase database, string script, string callId, RedisKey callerLive)
    {
        RedisKey[] keys = [OwnerKey(callId), ClaimedKey(callId), CallParkingKey(callId), _parkedCalls, _inbox, _instances, callerLive];
        RedisValue[] values = [_options.InstanceId, (long)_options.LeaseDuration.TotalMilliseconds, (long)RouteRetention.TotalMilliseconds, callId, _prefix + "doorbell:" + _options.InstanceId];
        var moved = (int)await database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        if (moved > 0)
        {
            _logger.LogInformation("Redis routing: call {CallId} {Claimed}; {Count} parked message(s) moved to its inbox.", callId,
                ReferenceEquals(script, RoutingScripts.End) ? "ended" : "was claimed", moved);
        }
    }

    private void Enqueue(Func<IDatabase, Task> write) => _writes.Writer.TryWrite(new Write(write, null));

    /// <summary>Sends the hooks' writes in order, one after the other, so a call's end never overtakes its start.</summary>
    private async Task WriteLoopAsync()
    {
        await foreach (var write in _writes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_writesPaused is { } paused)
            {
                await paused.Task.ConfigureAwait(false);
            }

            if (write.Flushed is { } flushed)
            {
                flushed.TrySetResult();
                continue;
            }

            try
            {
                var connection = await _store.ConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                await write.Run!(connection.GetDatabase()).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // A lost claim is written again by the next renewal; a lost route sends a reply to the after-call path.
                _logger.LogWarning(e, "Redis routing: a call's claim or route could not be written to {Store}; replies to it may take the after-call path.", _storeName);
            }
        }
    }

    /// <summary>Renews the claims of this instance's live calls every third of the lease (through the write queue, in order with the hooks).</summary>
    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.LeaseDuration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                Enqueue(database => Task.WhenAll(_live.Keys.Select(callId => ClaimAsync(database, RoutingScripts.Claim, callId, NoKey))
                    .Append(Heartbeat(database))));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Every quarter of <see cref="RedisRoutingOptions.ParkedReplyTimeout"/>, sweeps the parked replies whose call was never claimed in time (<see cref="SweepParkedAsync"/>).</summary>
    private async Task SweepParkedLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.ParkedReplyTimeout / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await SweepParkedAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Redis routing: sweeping the parked replies on {Store} failed; retrying in {Interval} ms.", _storeName,
                        (_options.ParkedReplyTimeout / 4).TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Moves what is parked for calls whose claim did not land within <see cref="RedisRoutingOptions.ParkedReplyTimeout"/>
    /// into this instance's inbox (or the owner's, had the claim landed meanwhile), whose delivery takes the after-call
    /// path, once. Answers how many entries it moved.
    /// </summary>
    internal async Task<int> SweepParkedAsync(CancellationToken cancellationToken)
    {
        var connection = await _store.ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var database = connection.GetDatabase();
        var moved = 0;
        int batch;
        do
        {
            batch = (int)await database.ScriptEvaluateAsync(RoutingScripts.SweepParked, [_parkedCalls, _inbox, _instances],
                [_prefix, _options.InstanceId, _prefix + "doorbell:" + _options.InstanceId, ReadBatch]).ConfigureAwait(false);
            moved += batch;
        }
        while (batch > 0 && !cancellationToken.IsCancellationRequested);

        if (moved > 0)
        {
            _logger.LogWarning("Redis routing: {Count} parked message(s) waited {Timeout} ms for a call that no instance claimed; delivering them here through the after-call path.",
                moved, _options.ParkedReplyTimeout.TotalMilliseconds);
        }

        return moved;
    }

    /// <summary>Says this instance is alive for one more lease, and lists its inbox among the instances' inboxes.</summary>
    private Task Heartbeat(IDatabase database) => Task.WhenAll(
        database.StringSetAsync(_heartbeat, _options.InstanceId, _options.LeaseDuration),
        database.SetAddAsync(_instances, _options.InstanceId));

    /// <summary>Every lease, delivers what the inboxes of instances without a heartbeat hold (see <see cref="SweepDeadInboxesAsync"/>).</summary>
    private async Task JanitorLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.LeaseDuration);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await SweepDeadInboxesAsync(_aborting.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Redis routing: sweeping the inboxes of dead instances on {Store} failed; retrying in {Interval} ms.", _storeName,
                        _options.LeaseDuration.TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// For each listed instance without a heartbeat: claims the entries of its inbox that were read and not acknowledged
    /// (idle for a lease) and those never read, delivers them here (their calls are not live here: the after-call path,
    /// idempotent on the message id), then deletes the inbox once it is empty. Answers how many entries it delivered.
    /// </summary>
    internal async Task<int> SweepDeadInboxesAsync(CancellationToken cancellationToken)
    {
        var connection = await _store.ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var database = connection.GetDatabase();
        var handled = 0;
        foreach (var member in await database.SetMembersAsync(_instances).ConfigureAwait(false))
        {
            var instanceId = (string?)member;
            if (instanceId is null || instanceId == _options.InstanceId)
            {
                continue;
            }

            handled += await SweepAsync(database, instanceId, cancellationToken).ConfigureAwait(false);
        }

        return handled;
    }

    private async Task<int> SweepAsync(IDatabase database, string instanceId, CancellationToken cancellationToken)
    {
        var heartbeat = HeartbeatKey(instanceId);
        var inbox = new Inbox(_prefix + "inbox:" + instanceId, _janitorConsumer);
        var handled = 0;
        if (await database.KeyExistsAsync(heartbeat).ConfigureAwait(false))
        {
            return 0;
        }

        if (await database.StreamLengthAsync(inbox.Stream).ConfigureAwait(false) > 0)
        {
            try
            {
                await database.StreamCreateConsumerGroupAsync(inbox.Stream, Group, StreamPosition.Beginning, createStream: false).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
                // The instance created it when it started.
            }

            _logger.LogInformation("Redis routing: instance {Instance} has no heartbeat; delivering what its inbox {Inbox} holds.", instanceId, (string?)inbox.Stream);
            var minIdle = (long)_options.LeaseDuration.TotalMilliseconds;
            RedisValue start = "0-0";
            do
            {
                var claimed = await database.StreamAutoClaimAsync(inbox.Stream, Group, inbox.Consumer, minIdle, start, ReadBatch).ConfigureAwait(false);
                await HandleBatchAsync(database, inbox, claimed.ClaimedEntries, cancellationToken).ConfigureAwait(false);
                handled += claimed.ClaimedEntries.Length;

                start = claimed.NextStartId;
            }
            while (!start.IsNullOrEmpty && start != "0-0" && !cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested);

            while (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested)
            {
                var fresh = await database.StreamReadGroupAsync(inbox.Stream, Group, inbox.Consumer, StreamPosition.NewMessages, ReadBatch).ConfigureAwait(false);
                await HandleBatchAsync(database, inbox, fresh, cancellationToken).ConfigureAwait(false);
                handled += fresh.Length;

                if (fresh.Length < ReadBatch)
                {
                    break;
                }
            }
        }

        if ((int)await database.ScriptEvaluateAsync(RoutingScripts.ForgetDeadInbox, [heartbeat, inbox.Stream, _instances], [instanceId]).ConfigureAwait(false) == 1)
        {
            _logger.LogInformation("Redis routing: the inbox of dead instance {Instance} is empty; deleted it.", instanceId);
        }

        return handled;
    }

    private void Ring() => _bell.Writer.TryWrite(true);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        _rereadPending = true;
        Ring();
    }

    /// <summary>Reads the inbox when the doorbell rings and every poll interval, surviving Redis outages.</summary>
    private async Task ReadLoopAsync()
    {
        var stopping = _stopping.Token;
        var groupReady = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var connection = await _store.ConnectionAsync(stopping).ConfigureAwait(false);
                var database = connection.GetDatabase();
                if (_subscribedOn is null)
                {
                    // StackExchange.Redis subscribes again by itself after a reconnect; the restored event rings so the
                    // inbox is read at once.
                    await connection.GetSubscriber().SubscribeAsync(_doorbell, (_, _) => Ring()).ConfigureAwait(false);
                    connection.ConnectionRestored += OnConnectionRestored;
                    _subscribedOn = connection;
                }

                if (!groupReady)
                {
                    await CreateGroupAsync(database).ConfigureAwait(false);
                    groupReady = true;
                }

                if (!_paused)
                {
                    await _reading.WaitAsync(stopping).ConfigureAwait(false);
                    try
                    {
                        if (!_paused)
                        {
                            // The deliveries in progress finish when stopping; only the host's deadline (or a halt) cancels them.
                            await DrainAsync(database, _aborting.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        _reading.Release();
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // The stream or its group is gone (a Redis that lost its data): create them again.
                groupReady = false;
                _rereadPending = true;
                _logger.LogWarning("Redis routing: the inbox {Inbox} lost its consumer group; creating it again.", (string?)_inbox);
            }
            catch (Exception e)
            {
                _rereadPending = true;
                _logger.LogWarning(e, "Redis routing: reading the inbox {Inbox} on {Store} failed; retrying in {Interval} ms.", (string?)_inbox, _storeName,
                    _options.PollInterval.TotalMilliseconds);
            }

            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                wait.CancelAfter(_options.PollInterval);
                await _bell.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The poll interval passed, or stopping (checked by the loop).
            }
        }
    }

    private async Task CreateGroupAsync(IDatabase database)
    {
        try
        {
            await database.StreamCreateConsumerGroupAsync(_inbox, Group, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // It exists: this instance ran before under the same id.
        }
    }

    /// <summary>
    /// Delivers what this instance read before and did not acknowledge (when there may be some: see
    /// <see cref="_rereadPending"/>), then everything new.
    /// </summary>
    private async Task DrainAsync(IDatabase database, CancellationToken cancellationToken)
    {
        if (_rereadPending)
        {
            // Cleared first: an entry that fails below, or a failure of this pass, sets it again.
            _rereadPending = false;
            RedisValue after = "0";
            while (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested)
            {
                var pending = await database.StreamReadGroupAsync(_inbox, Group, _options.InstanceId, after, ReadBatch).ConfigureAwait(false);
                await HandleBatchAsync(database, _own, pending, cancellationToken).ConfigureAwait(false);
                if (pending.Length < ReadBatch)
                {
                    break;
                }

                after = pending[^1].Id;
            }
        }

        while (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            var fresh = await database.StreamReadGroupAsync(_inbox, Group, _options.InstanceId, StreamPosition.NewMessages, ReadBatch).ConfigureAwait(false);
            await HandleBatchAsync(database, _own, fresh, cancellationToken).ConfigureAwait(false);
            if (fresh.Length < ReadBatch)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Delivers a batch read from an inbox: the entries of one call in the order they were handed off, the calls side by
    /// side (the hand-off names each entry's call; an entry without one waits for those before it in its group).
    /// </summary>
    private async Task HandleBatchAsync(IDatabase database, Inbox inbox, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        if (entries.Length <= 1)
        {
            foreach (var entry in entries.TakeWhile(_ => !_stopping.IsCancellationRequested))
            {
                await HandleAsync(database, inbox, entry, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await Task.WhenAll(entries.GroupBy(entry => (string?)entry["call"] ?? string.Empty, StringComparer.Ordinal).Select(async calls =>
        {
            foreach (var entry in calls.TakeWhile(_ => !_stopping.IsCancellationRequested))
            {
                await HandleAsync(database, inbox, entry, cancellationToken).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
    }

    private async Task HandleAsync(IDatabase database, Inbox inbox, StreamEntry entry, CancellationToken cancellationToken)
    {
        var kind = (string?)entry["kind"];
        var payload = (string?)entry["payload"];
        if (entry.IsNull || kind is null || payload is null)
        {
            // Deleted after it was read (an ack whose XDEL came first), or not ours to read: nothing to deliver.
            await AcknowledgeAsync(database, inbox, entry.Id).ConfigureAwait(false);
            return;
        }

        try
        {
            var delivery = _delivery ??= _services.GetRequiredService<IHandedOffReplyDelivery>();
            if (kind == InboundKind)
            {
                var message = JsonSerializer.Deserialize(payload, RoutingJsonContext.Default.InboundMessage)
                    ?? throw new JsonException("The handed-off message is null.");
                var outcome = await delivery.DeliverHandedOffAsync(message, cancellationToken).ConfigureAwait(false);
                _logger.LogDebug("Redis routing: handed-off message {MessageId}: {Outcome}.", message.MessageId, outcome);
            }
            else
            {
                var update = JsonSerializer.Deserialize(payload, RoutingJsonContext.Default.DeliveryStatusUpdate)
                    ?? throw new JsonException("The handed-off status is null.");
                var outcome = await delivery.ApplyHandedOffStatusAsync(update, cancellationToken).ConfigureAwait(false);
                _logger.LogDebug("Redis routing: handed-off status {Status} of {MessageId}: {Outcome}.", update.Status, update.MessageId, outcome);
            }

            await AcknowledgeAsync(database, inbox, entry.Id).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (StateStoreException)
        {
            // The store failed, not the message: it stays pending and this pass ends (the loop logs it and retries).
            throw;
        }
        catch (Exception e) when (e is not RedisException)
        {
            var deliveries = await DeliveryCountAsync(database, inbox, entry.Id).ConfigureAwait(false);
            if (e is JsonException || deliveries >= _options.MaxDeliveries)
            {
                await database.StreamAddAsync(_prefix + "dead-letter",
                [
                    new NameValueEntry("kind", kind),
                    new NameValueEntry("payload", payload),
                    new NameValueEntry("instance", _options.InstanceId),
                    new NameValueEntry("error", e.GetType().Name + ": " + e.Message),
                ]).ConfigureAwait(false);
                await AcknowledgeAsync(database, inbox, entry.Id).ConfigureAwait(false);
                _logger.LogError(e, "Redis routing: inbox entry {EntryId} ({Kind}) failed {Deliveries} time(s); moved to {DeadLetter}.", (string?)entry.Id, kind,
                    deliveries, _prefix + "dead-letter");
            }
            else
            {
                if (inbox == _own)
                {
                    _rereadPending = true;
                }

                _logger.LogWarning(e, "Redis routing: inbox entry {EntryId} ({Kind}) failed (delivery {Deliveries} of {Max}); it stays pending and is retried.",
                    (string?)entry.Id, kind, deliveries, _options.MaxDeliveries);
            }
        }
    }

    private static async Task<int> DeliveryCountAsync(IDatabase database, Inbox inbox, RedisValue id)
    {
        var pending = await database.StreamPendingMessagesAsync(inbox.Stream, Group, 1, inbox.Consumer, id, id).ConfigureAwait(false);
        return pending.Length == 0 ? 1 : pending[0].DeliveryCount;
    }

    private static async Task AcknowledgeAsync(IDatabase database, Inbox inbox, RedisValue id)
    {
        // Acknowledged, then deleted (trimming a stream by length would delete entries not yet acknowledged); both go out
        // together, in that order on the connection, so Redis answers (and fsyncs) them in one round trip.
        var acknowledged = database.StreamAcknowledgeAsync(inbox.Stream, Group, id);
        var deleted = database.StreamDeleteAsync(inbox.Stream, [id]);
        await Task.WhenAll(acknowledged, deleted).ConfigureAwait(false);
    }

    /// <summary>An inbox stream and the consumer that reads it: this instance's own, or a dead instance's read by the janitor.</summary>
    private readonly record struct Inbox(RedisKey Stream, string Consumer);

    /// <summary>A queued hook write, or a flush marker.</summary>
    private readonly record struct Write(Func<IDatabase, Task>? Run, TaskCompletionSource? Flushed);
}
