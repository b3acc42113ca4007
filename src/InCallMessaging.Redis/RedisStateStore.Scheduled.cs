using System.Text.Json;
using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

// Scheduled after-call texts: each is a hash (scheduled:msg:{id}: its call and its JSON), indexed by two sorted sets
// scored by the time it was scheduled (scheduled:all, scheduled:call:{call id}). No TTL: a text waits until it is taken.
public sealed partial class RedisStateStore
{
    /// <summary>
    /// KEYS: the message's hash, the all-texts index, its call's index. ARGV: call id, JSON, score (ms), id. Keeps a text
    /// not kept yet (a second add of one id changes nothing). 1 when it was added.
    /// </summary>
    private const string AddScheduledScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'call', ARGV[1], 'json', ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
        redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
        return 1
        """;

    /// <summary>
    /// KEYS: the message's hash, the all-texts index. ARGV: id, the call index's key prefix. Removes a text and its index
    /// entries in one step: 1 for exactly one caller, however many hosts try at once; 0 when it was gone.
    /// </summary>
    private const string TakeScheduledScript = """
        local call = redis.call('HGET', KEYS[1], 'call')
        if not call then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', ARGV[2] .. call, ARGV[1])
        return 1
        """;

    /// <inheritdoc />
    public async ValueTask AddAsync(ScheduledMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var json = JsonSerializer.Serialize(message, RedisJsonContext.Default.ScheduledMessage);
        RedisKey[] keys = [ScheduledKey(message.Id), Key("scheduled:all"), ScheduledCallKey(message.CallId)];
        RedisValue[] args = [message.CallId, json, Score(message.CreatedAt), message.Id];
        await RunAsync("Scheduling an after-call text", database => database.ScriptEvaluateAsync(AddScheduledScript, keys, args), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ScheduledMessage>> GetPendingAsync(string? callId, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<ScheduledMessage>>("Reading scheduled after-call texts", async database =>
        {
            var index = callId is null ? Key("scheduled:all") : ScheduledCallKey(callId);
            // Oldest first: by score (the time scheduled), then by id.
            var ids = await database.SortedSetRangeByRankAsync(index).ConfigureAwait(false);
            if (ids.Length == 0)
            {
                return [];
            }

            var batch = database.CreateBatch();
            var reads = ids.Select(id => batch.HashGetAsync(ScheduledKey(id!), "json")).ToArray();
            batch.Execute();
            var messages = new List<ScheduledMessage>(ids.Length);
            foreach (var read in reads)
            {
                // A text taken between the two reads is gone: not pending.
                if ((await read.ConfigureAwait(false)) is { HasValue: true } json
                    && JsonSerializer.Deserialize((string)json!, RedisJsonContext.Default.ScheduledMessage) is { } message)
                {
                    messages.Add(message);
                }
            }

            return messages;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> TryTakeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        RedisKey[] keys = [ScheduledKey(id), Key("scheduled:all")];
        RedisValue[] args = [id, _prefix + "scheduled:call:"];
        return RunAsync("Taking a scheduled after-call text", async database =>
            (int)await database.ScriptEvaluateAsync(TakeScheduledScript, keys, args).ConfigureAwait(false) == 1, cancellationToken);
    }

    private RedisKey ScheduledKey(string id) => Key("scheduled:msg:" + id);

    private RedisKey ScheduledCallKey(string callId) => Key("scheduled:call:" + callId);
}
