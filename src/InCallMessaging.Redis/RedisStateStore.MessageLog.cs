using System.Globalization;
using System.Text.Json;
using InCallMessaging.Redis.Internal;
using InCallMessaging.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis;

// Keys, under the prefix. Members are "o:{id}" (outbound) or "i:{id}" (inbound).
// - msg:o:{id}: an outbound message, a hash (statuses update it); hist:o:{id}, its status history, a list. The hash
//   names its own index keys (_call, _conv, _caller), so erasure and retention need not rebuild them.
// - msg:i:{id}: an inbound message, one JSON string (StoredInbound), written once with SET NX PX and never changed;
//   its status history is inside it. Its index entries are list appends: in:call:{callId} and in:caller:{callerKey}
//   (its call's and its caller's inbound messages, by member), and in:minute:{minute} (those created in that minute
//   since the Unix epoch, each entry a JSON array of member, call id and caller key), listed by minute in the sorted
//   set in:minutes, for the retention job, which empties a minute's list wholly older than the cutoff in batches and
//   removes the call and caller entries of its messages, also of those Redis already expired.
// - messages: outbound messages by creation time (a sorted set), for the retention job; index:out, a hash of each
//   outbound message's index keys (a JSON array: call, conversation, caller), so that the job and erasure remove the
//   index entries of a message whose hash Redis expired first.
// - call:{callId} and conv:{channel}:{callerKey}:{identity}: outbound messages by creation time, in milliseconds
//   (sorted sets); caller:{callerKey}: a set of outbound messages, for erasure.
// Inbound messages logged before they were strings are hashes indexed like outbound ones; reads and erasure take both.
public sealed partial class RedisStateStore
{
    private const int DeleteBatch = 500;
    private const int LatestPage = 16;
    private const int MinutesPage = 16;
    private const long InboundMinute = 60_000;

    /// <summary>The hash of each outbound message's index keys, kept until the retention job or erasure removes it.</summary>
    private const string OutboundIndexKeys = "index:out";

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(LoggedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Direction == MessageDirection.Inbound)
        {
            // Written as the webhooks write them (group commit), with no mark but the message itself.
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (inboundKeys, inboundArgs) = InboundArguments(message, null, _time.GetUtcNow(), TimeSpan.Zero);
            return new ValueTask<bool>(EnqueueInbound(new PendingInbound(message.MessageId, inboundKeys, inboundArgs, cancellationToken)));
        }

        var (keys, args) = AddArguments(message);
        return RunAsync($"Logging message {message.MessageId}", async database =>
            (int)await database.ScriptEvaluateAsync(RedisScripts.TryAdd, keys, args).ConfigureAwait(false) == 1, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One script writes the message and its indexes. The message's own hash is the mark when
    /// <paramref name="deliveryKey"/> is <c>in:</c> and its id and <paramref name="retention"/> is no longer than
    /// <see cref="RedisStoreOptions.MessageRetention"/> (the hash's TTL), as the hub records them: a delivery is first
    /// when its message was not logged yet. Otherwise the script also sets the mark <c>dedupe:</c><paramref name="deliveryKey"/>
    /// (with the same expiry as <see cref="TryMarkAsync"/> gives it). Calls that arrive while one is in flight share the next
    /// script call (group commit, up to 128 messages): each message is still checked and written on its own, and each
    /// caller gets its own result, its own <see cref="StateStoreException"/>, or its own cancellation (a call cancelled
    /// before its batch is sent writes nothing).
    /// </remarks>
    public ValueTask<bool> RecordInboundAsync(LoggedMessage message, string deliveryKey, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The hub's key needs no mark of its own when the message's key, which is kept at least as long, can be it.
        var ownMark = retention <= _retention && IsHubKey(deliveryKey, message.MessageId);
        var (keys, args) = InboundArguments(message, ownMark ? null : deliveryKey, _time.GetUtcNow(), retention);
        return new ValueTask<bool>(EnqueueInbound(new PendingInbound(message.MessageId, keys, args, cancellationToken)));
    }

    /// <summary>Whether <paramref name="deliveryKey"/> is the one the reply hub gives an inbound message: <c>in:</c> and its id.</summary>
    private static bool IsHubKey(string deliveryKey, string messageId) =>
        deliveryKey.Length == messageId.Length + 3
        && deliveryKey.StartsWith("in:", StringComparison.Ordinal)
        && deliveryKey.EndsWith(messageId, StringComparison.Ordinal);

    /// <summary>
    /// One inbound message's five keys and eight arguments of <see cref="RedisScripts.RecordInbound"/>, with the mark
    /// <c>dedupe:</c><paramref name="deliveryKey"/> kept for <paramref name="markRetention"/> when a key is given.
    /// </summary>
    private (RedisKey[] Keys, RedisValue[] Args) InboundArguments(LoggedMessage message, string? deliveryKey, DateTimeOffset now,
        TimeSpan markRetention)
    {
        var member = Member(MessageDirection.Inbound, message.MessageId);
        var minute = MinuteOf(message.CreatedAt);

        // On every webhook's path: each key is one concatenation, and times go as numbers (Lua reads them as the same text).
        RedisKey[] keys =
        [
            string.Concat(_prefix, "msg:", member),
            message.CallId is null ? string.Empty : string.Concat(_prefix, "in:call:", message.CallId),
            string.Concat(_prefix, "in:caller:", message.CallerKey),
            InboundMinuteKey(minute),
            deliveryKey is null ? string.Empty : string.Concat(_prefix, "dedupe:", deliveryKey),
        ];
        RedisValue[] args =
        [
            now.UtcTicks, (now + markRetention).UtcTicks, Math.Max(1L, (long)Math.Ceiling(markRetention.TotalMilliseconds)),
            member, RetentionMilliseconds, minute,
            JsonSerializer.SerializeToUtf8Bytes(StoredInbound.From(message), RedisJsonContext.Default.StoredInbound),
            JsonSerializer.SerializeToUtf8Bytes([member, message.CallId ?? string.Empty, message.CallerKey], RedisJsonContext.Default.StringArray),
        ];
        return (keys, args);
    }

    /// <summary>
    /// The keys and arguments of <see cref="RedisScripts.TryAdd"/>'s write of an outbound message.
    /// </summary>
    private (RedisKey[] Keys, RedisValue[] Args) AddArguments(LoggedMessage message)
    {
        var member = Member(message.Direction, message.MessageId);
        var callKey = message.CallId is null ? string.Empty : _prefix + "call:" + message.CallId;
        var convKey = message.Direction == MessageDirection.Outbound && message.CallId is not null
            ? ConversationKey(message.Channel, message.CallerKey, message.SenderIdentity)
            : string.Empty;
        var callerSet = _prefix + "caller:" + message.CallerKey;

        var args = new List<RedisValue>(48);
        args.AddRange([member, Score(message.CreatedAt), RetentionMilliseconds, message.StatusHistory.Count]);
        // A message logged with history (an import, say) keeps it; the log itself adds history through AddStatusAsync.
        args.AddRange(message.StatusHistory.Select(StatusEntry));
        void Field(string name, RedisValue value) { args.Add(name); args.Add(value); }
        Field("id", message.MessageId);
        Field("dir", (int)message.Direction);
        Field("ch", (int)message.Channel);
        Field("sn", message.SenderName);
        Field("si", message.SenderIdentity);
        Field("ck", message.CallerKey);
        Field("cr", message.Caller);
        Field("h", message.ContentHash);
        Field("at", Ticks(message.CreatedAt));
        Field("st", message.Status);
        Field("state", (int)message.State);
        Field("_caller", callerSet);
        Optional("call", message.CallId);
        Optional("act", message.ActionName);
        Optional("tx", message.Text);
        Optional("tpl", message.TemplateId);
        Optional("ref", message.ClientReference);
        Optional("irt", message.InReplyTo);
        Optional("err", message.ErrorCode);
        Optional("_call", callKey.Length == 0 ? null : callKey);
        Optional("_conv", convKey.Length == 0 ? null : convKey);
        if (message.MediaUrls.Count > 0)
        {
            Field("media", JsonSerializer.Serialize([.. message.MediaUrls], RedisJsonContext.Default.StringArray));
        }

        void Optional(string name, string? value)
        {
            if (value is not null)
            {
                Field(name, value);
            }
        }

        return ([Key("msg:" + member), Key("messages"), callerSet, callKey, convKey, Key("hist:" + member), Key(OutboundIndexKeys)], [.. args]);
    }

    /// <inheritdoc />
    public ValueTask<bool> AddStatusAsync(string messageId, string? clientReference, LoggedStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        ArgumentNullException.ThrowIfNull(status);
        var member = Member(MessageDirection.Outbound, messageId);
        var old = clientReference is null ? null : Member(MessageDirection.Outbound, clientReference);
        RedisKey[] keys =
        [
            Key("msg:" + member), Key("hist:" + member),
            old is null ? string.Empty : Key("msg:" + old), old is null ? string.Empty : Key("hist:" + old),
            Key("messages"), Key(OutboundIndexKeys),
        ];
        RedisValue[] args =
        [
            member, old ?? string.Empty, messageId, status.Status, (int)status.State,
            status.ErrorCode is null ? "0" : "1", status.ErrorCode ?? string.Empty, StatusEntry(status), RetentionMilliseconds,
        ];
        return RunAsync($"Recording status '{status.Status}' of message {messageId}", async database =>
            (int)await database.ScriptEvaluateAsync(RedisScripts.AddStatus, keys, args).ConfigureAwait(false) == 1, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindAsync(string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        RedisValue[] members = [Member(MessageDirection.Outbound, messageId), Member(MessageDirection.Inbound, messageId)];
        return RunAsync($"Reading message {messageId}", async database =>
            (await LoadAsync(database, members).ConfigureAwait(false)).FirstOrDefault(), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LoggedMessage>> GetCallAsync(string callId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(callId);
        return RunAsync<IReadOnlyList<LoggedMessage>>($"Reading the messages of call {callId}", async database =>
        {
            var outbound = database.SortedSetRangeByRankAsync(Key("call:" + callId));
            var inbound = database.ListRangeAsync(Key("in:call:" + callId));
            var messages = await LoadAsync(database, [.. await outbound.ConfigureAwait(false), .. await inbound.ConfigureAwait(false)])
                .ConfigureAwait(false);
            return [.. messages.OrderBy(m => m.CreatedAt).ThenBy(m => m.Direction)];
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<LoggedMessage?> FindLatestOutboundAsync(MessageChannel channel, string callerKey, string senderIdentity, DateTimeOffset since,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(callerKey);
        ArgumentNullException.ThrowIfNull(senderIdentity);
        var key = ConversationKey(channel, callerKey, senderIdentity);
        return RunAsync("Finding the latest message to a caller", async database =>
        {
            // Newest first by millisecond; a page can hold messages gone since (expired, erased), so read on until one is found.
            for (var skip = 0; ; skip += LatestPage)
            {
                var members = await database.SortedSetRangeByScoreAsync(key, Score(since), double.PositiveInfinity, Exclude.None,
                    Order.Descending, skip, LatestPage).ConfigureAwait(false);
                var found = (await LoadAsync(database, members).ConfigureAwait(false))
                    .Where(m => m.CreatedAt >= since && m.CallId is not null)
                    .MaxBy(m => m.CreatedAt);
                if (found is not null || members.Length < LatestPage)
                {
                    return found;
                }
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> ForgetCallerAsync(string callerKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(callerKey);
        RedisKey[] keys = [Key("caller:" + callerKey), Key("messages"), Key("in:caller:" + callerKey), Key(OutboundIndexKeys)];
        RedisValue[] args = [_prefix + "msg:", _prefix + "hist:", _prefix];
        return RunAsync("Erasing a caller's messages", async database =>
            (int)await database.ScriptEvaluateAsync(RedisScripts.ForgetCaller, keys, args).ConfigureAwait(false), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Counts the messages this call deletes. Messages whose TTL (<see cref="RedisStoreOptions.MessageRetention"/>) ran
    /// out first were already reclaimed by Redis: their index entries go, but they are not counted.
    /// </remarks>
    public ValueTask<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var cutoffScore = Milliseconds(cutoff).ToString(CultureInfo.InvariantCulture);
        var cutoffMinute = MinuteOf(cutoff);
        return RunAsync("Deleting old messages", async database =>
        {
            var deleted = 0;
            // Outbound messages: below the cutoff's millisecond every message is older; within it, the script compares ticks.
            foreach (var (bound, repeat) in new[] { ("(" + cutoffScore, true), (cutoffScore, false) })
            {
                long looked;
                do
                {
                    var result = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.DeleteOlderThan, [Key("messages"), Key(OutboundIndexKeys)],
                        [_prefix + "msg:", _prefix + "hist:", bound, Ticks(cutoff), DeleteBatch]).ConfigureAwait(false))!;
                    looked = (long)result[0];
                    deleted += (int)result[1];
                }
                while (repeat && looked == DeleteBatch);
            }

            // Inbound messages: the lists of minutes before the cutoff's are emptied whole; in that minute's, the script
            // compares ticks.
            while (true)
            {
                var minutes = await database.SortedSetRangeByScoreAsync(_inboundMinutes, double.NegativeInfinity, cutoffMinute,
                    Exclude.Stop, take: MinutesPage).ConfigureAwait(false);
                foreach (var minute in minutes)
                {
                    long taken;
                    do
                    {
                        var result = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.DeleteInboundMinute,
                            [_inboundMinutes, (string)minute!], [_prefix + "msg:", _prefix, DeleteBatch]).ConfigureAwait(false))!;
                        taken = (long)result[0];
                        deleted += (int)result[1];
                    }
                    while (taken == DeleteBatch);
                }

                if (minutes.Length < MinutesPage)
                {
                    break;
                }
            }

            var last = InboundMinuteKey(cutoffMinute);
            for (var first = 0L; ; first += DeleteBatch)
            {
                var result = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.DeleteInboundBefore, [last],
                    [_prefix + "msg:", _prefix, first, DeleteBatch, Ticks(cutoff)]).ConfigureAwait(false))!;
                deleted += (int)result[1];
                if ((long)result[0] < DeleteBatch)
                {
                    break;
                }
            }

            return deleted;
        }, cancellationToken);
    }

    /// <summary>The minute since the Unix epoch that holds <paramref name="at"/>.</summary>
    private static long MinuteOf(DateTimeOffset at) => Math.DivRem(Milliseconds(at), InboundMinute, out var within) - (within < 0 ? 1 : 0);

    private RedisKey InboundMinuteKey(long minute) => string.Concat(_prefix, "in:minute:", minute.ToString(CultureInfo.InvariantCulture));

    private long RetentionMilliseconds => Math.Max(1L, (long)Math.Ceiling(_retention.TotalMilliseconds));

    private static string Member(MessageDirection direction, string messageId) =>
        (direction == MessageDirection.Outbound ? "o:" : "i:") + messageId;

    private string ConversationKey(MessageChannel channel, string callerKey, string senderIdentity) =>
        $"{_prefix}conv:{(int)channel}:{callerKey}:{senderIdentity}";

    /// <summary>The key of a conversation's outbound messages by creation time (members <c>o:{id}</c>), for routing's hand-off script.</summary>
    internal RedisKey LoggedConversationKey(MessageChannel channel, string callerKey, string senderIdentity) =>
        ConversationKey(channel, callerKey, senderIdentity);

    /// <summary>The key of a logged outbound message's hash (its <c>call</c> field names its call), for routing's hand-off script.</summary>
    internal RedisKey LoggedOutboundKey(string messageId) => Key("msg:" + Member(MessageDirection.Outbound, messageId));

    private static long Milliseconds(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTime.UnixEpoch.Ticks;
        return (ticks / TimeSpan.TicksPerMillisecond) - (ticks % TimeSpan.TicksPerMillisecond < 0 ? 1 : 0);
    }

    private static double Score(DateTimeOffset at) => Milliseconds(at);

    private static RedisValue StatusEntry(LoggedStatus status) =>
        JsonSerializer.Serialize(StoredStatus.From(status), RedisJsonContext.Default.StoredStatus);

    private async Task<List<LoggedMessage>> LoadAsync(IDatabase database, RedisValue[] members)
    {
        var messages = new List<LoggedMessage>(members.Length);
        if (members.Length == 0)
        {
            return messages;
        }

        RedisValue[] args = [_prefix + "msg:", _prefix + "hist:", .. members];
        var entries = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.Load, [], args).ConfigureAwait(false))!;
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            if (parts.Length == 2)
            {
                messages.Add(Read((RedisValue[])parts[0]!, (RedisValue[])parts[1]!));
            }
            else if (parts.Length == 1)
            {
                messages.Add(ReadInbound((byte[])parts[0]!));
            }
        }

        return messages;
    }

    private static LoggedMessage Read(RedisValue[] pairs, RedisValue[] history)
    {
        var fields = new Dictionary<string, RedisValue>(pairs.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            fields[pairs[i]!] = pairs[i + 1];
        }

        string Required(string name) => fields.TryGetValue(name, out var value) ? (string)value! : string.Empty;
        string? Optional(string name) => fields.TryGetValue(name, out var value) ? (string?)value : null;
        int Number(string name) => int.Parse(Required(name), NumberStyles.Integer, CultureInfo.InvariantCulture);

        var media = Optional("media");
        return new LoggedMessage
        {
            MessageId = Required("id"),
            Direction = (MessageDirection)Number("dir"),
            Channel = (MessageChannel)Number("ch"),
            CallId = Optional("call"),
            ActionName = Optional("act"),
            SenderName = Required("sn"),
            SenderIdentity = Required("si"),
            CallerKey = Required("ck"),
            Caller = Required("cr"),
            Text = Optional("tx"),
            ContentHash = Required("h"),
            TemplateId = Optional("tpl"),
            MediaUrls = media is null ? [] : JsonSerializer.Deserialize(media, RedisJsonContext.Default.StringArray) ?? [],
            ClientReference = Optional("ref"),
            InReplyTo = Optional("irt"),
            CreatedAt = Time(long.Parse(Required("at"), NumberStyles.Integer, CultureInfo.InvariantCulture)),
            Status = Required("st"),
            State = (DeliveryState)Number("state"),
            ErrorCode = Optional("err"),
            StatusHistory = [.. history.Select(ReadStatus)],
        };
    }

    private static LoggedMessage ReadInbound(byte[] json) =>
        JsonSerializer.Deserialize(json, RedisJsonContext.Default.StoredInbound)!.ToMessage();

    private static LoggedStatus ReadStatus(RedisValue entry) =>
        JsonSerializer.Deserialize((string)entry!, RedisJsonContext.Default.StoredStatus)!.ToStatus();
}
