using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

// Group commit of inbound messages (RecordInboundAsync): the calls that arrive while one script call is in flight go
// together in the next one, each still answered on its own.
public sealed partial class RedisStateStore
{
    private readonly Lock _inboundGate = new();
    private InboundBatcher? _inbound;
    private bool _inboundClosed;

    /// <summary>How many script calls recorded inbound messages, for tests.</summary>
    internal long InboundBatchCount => Volatile.Read(ref _inbound)?.BatchCount ?? 0;

    /// <summary>How many inbound messages those calls held, for tests.</summary>
    internal long InboundMessageCount => Volatile.Read(ref _inbound)?.MessageCount ?? 0;

    /// <summary>Queues one inbound message for the next batch.</summary>
    private Task<bool> EnqueueInbound(PendingInbound pending)
    {
        var inbound = Volatile.Read(ref _inbound);
        if (inbound is null)
        {
            lock (_inboundGate)
            {
                ObjectDisposedException.ThrowIf(_inboundClosed, this);
                inbound = _inbound ??= new InboundBatcher(RecordBatchAsync, _store);
            }
        }

        return inbound.EnqueueAsync(pending);
    }

    /// <summary>Stops the batcher after writing what it holds (the first step of disposing the store).</summary>
    private ValueTask DisposeInboundAsync()
    {
        InboundBatcher? inbound;
        lock (_inboundGate)
        {
            _inboundClosed = true;
            inbound = _inbound;
        }

        return inbound?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>Runs one batch as one script call and answers each waiter with its own result or error.</summary>
    private async Task RecordBatchAsync(IReadOnlyList<PendingInbound> batch)
    {
        var keyCount = 1;
        var argCount = 0;
        foreach (var pending in batch)
        {
            keyCount += pending.Keys.Length;
            argCount += pending.Args.Length;
        }

        var keys = new RedisKey[keyCount];
        var args = new RedisValue[argCount];
        keys[0] = _inboundMinutes;
        keyCount = 1;
        argCount = 0;
        foreach (var pending in batch)
        {
            pending.Keys.CopyTo(keys, keyCount);
            pending.Args.CopyTo(args, argCount);
            keyCount += pending.Keys.Length;
            argCount += pending.Args.Length;
        }

        RedisResult[] results;
        try
        {
            var database = await DatabaseAsync(CancellationToken.None).ConfigureAwait(false);
            results = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.RecordInbound, keys, args).ConfigureAwait(false))!;
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            foreach (var pending in batch)
            {
                pending.Fail(Failure(Recording(pending), e));
            }

            return;
        }

        if (results.Length != batch.Count)
        {
            throw new StateStoreException(_store,
                $"Recording {batch.Count} inbound messages failed: Redis answered {results.Length} results; check that no other data uses the key prefix '{_prefix}'");
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            if (results[i].Resp2Type == ResultType.Integer)
            {
                pending.Complete((long)results[i] == 1);
            }
            else
            {
                // Redis refused one of this message's writes (a key of another type, say); the others were written.
                pending.Fail(Refused(Recording(pending), (string?)results[i] ?? "an error without text", null));
            }
        }
    }

    private static string Recording(PendingInbound pending) => $"Recording inbound message {pending.MessageId}";
}
