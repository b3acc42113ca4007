namespace InCallMessaging.Redis.Internal;

/// <summary>
/// The Lua scripts that make each check-and-write one atomic step on the server. Times are UTC ticks written as decimal
/// strings: Lua numbers are doubles, which cannot hold ticks exactly, so <c>later</c> compares them as strings.
/// </summary>
/// <remarks>
/// Scripts that follow a message's index keys read them from the message's own hash (<c>_call</c>, <c>_conv</c>,
/// <c>_caller</c>) rather than from KEYS, so the store runs on one Redis (or a primary with replicas), not Redis Cluster.
/// </remarks>
internal static class RedisScripts
{
    private const string Later = """
        local function later(a, b)
          if #a ~= #b then return #a > #b end
          return a > b
        end

        """;

    /// <summary>KEYS[1] the key; ARGV now, expiry (ticks), TTL (ms). 1 when the key was new (or its time had passed).</summary>
    public const string TryMark = Later + """
        local kept = redis.call('GET', KEYS[1])
        if kept and later(kept, ARGV[1]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return 1
        """;

    /// <summary>KEYS[1] the consent hash; ARGV '1' or '0', at (ticks). 1 when the opt-out state changed.</summary>
    public const string SetOptedOut = """
        local was = redis.call('HGET', KEYS[1], 'out') == '1'
        local now = ARGV[1] == '1'
        if was == now then return 0 end
        redis.call('HSET', KEYS[1], 'out', ARGV[1], 'outAt', ARGV[2])
        return 1
        """;

    /// <summary>KEYS[1] the consent hash; ARGV at (ticks). Keeps the later of the kept time and this one.</summary>
    public const string RecordWhatsAppInbound = Later + """
        local kept = redis.call('HGET', KEYS[1], 'wa')
        if kept and not later(ARGV[1], kept) then return 0 end
        redis.call('HSET', KEYS[1], 'wa', ARGV[1])
        return 1
        """;

    /// <summary>
    /// <c>add(k, o, last)</c> writes a message not yet logged: its hash, history and index entries. Its keys are
    /// KEYS[k + 1] to KEYS[k + 7]: message hash, all-messages index, caller set, call index or '', conversation index or
    /// '', history list, the hash of index keys (see <see cref="IndexKeys"/>). Its arguments are ARGV[o + 1] to
    /// ARGV[last]: member, score (ms), TTL (ms), the number of history entries, the entries, then the hash's field/value
    /// pairs.
    /// </summary>
    private const string AddMessage = """
        local function add(k, o, last)
          local entries = tonumber(ARGV[o + 4])
          redis.call('HSET', KEYS[k + 1], unpack(ARGV, o + 5 + entries, last))
          redis.call('PEXPIRE', KEYS[k + 1], ARGV[o + 3])
          if entries > 0 then
            redis.call('DEL', KEYS[k + 6])
            for i = o + 5, o + 4 + entries do redis.call('RPUSH', KEYS[k + 6], ARGV[i]) end
            redis.call('PEXPIRE', KEYS[k + 6], ARGV[o + 3])
          end
          redis.call('ZADD', KEYS[k + 2], ARGV[o + 2], ARGV[o + 1])
          redis.call('HSET', KEYS[k + 7], ARGV[o + 1], cjson.encode({KEYS[k + 4], KEYS[k + 5], KEYS[k + 3]}))
          redis.call('SADD', KEYS[k + 3], ARGV[o + 1])
          redis.call('PEXPIRE', KEYS[k + 3], ARGV[o + 3])
          for i = k + 4, k + 5 do
            if KEYS[i] ~= '' then
              redis.call('ZADD', KEYS[i], ARGV[o + 2], ARGV[o + 1])
              redis.call('PEXPIRE', KEYS[i], ARGV[o + 3])
            end
          end
          return 1
        end

        """;

    /// <summary>KEYS and ARGV as <see cref="AddMessage"/> says, from KEYS 1 and ARGV 1. 0 when the message was already logged.</summary>
    public const string TryAdd = AddMessage + """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        return add(0, 0, #ARGV)
        """;

    /// <summary>
    /// <c>touch(key, ttl)</c> keeps an index key alive at least <c>ttl</c> ms from now, plus up to a minute, without writing
    /// its TTL on every add: a TTL write is a command replicated to the append-only file, a read is not.
    /// </summary>
    private const string Touch = """
        local function touch(key, ttl)
          if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl + math.min(ttl, 60000)) end
        end

        """;

    /// <summary>
    /// Inbound messages, each with its deduplication mark: one script for a batch of them (group commit). KEYS[1] is the
    /// index of inbound minutes; then five KEYS per message: its string key, its call's inbound list (or ''), its
    /// caller's inbound list, its minute's list, its mark (or '' when the message's own key is the mark). Eight ARGV per
    /// message: now (ticks), the mark's expiry (ticks) and TTL (ms), member, TTL (ms), minute, the message's JSON, its
    /// minute's list entry (a JSON array: member, call id or '', caller key, so that the retention job can remove the
    /// index entries of a message Redis already expired).
    /// </summary>
    /// <remarks>
    /// An inbound message is written once and never changed, so it is one string (<c>SET NX PX</c>: the first-delivery
    /// check, the write and the TTL in one command), and its index entries are appends to lists (its call's, its
    /// caller's, its creation minute's): no hashing, no sorted-set insert. The call's and caller's lists' TTLs are pushed
    /// forward only when they would lapse before the message. Returns one entry per message, in order: 1 when it was
    /// recorded, 0 (nothing written) when it is already logged or its mark is live (a redelivery, also one earlier in the
    /// same batch), or the error text when Redis refused one of its writes (the others still run).
    /// The mark is set with <c>SET NX GET</c> (one command when it is new) and set again only when the one kept has
    /// expired on the store's clock.
    /// </remarks>
    public const string RecordInbound = Later + Touch + """
        local function record(k, o)
          if KEYS[k + 5] ~= '' then
            if redis.call('EXISTS', KEYS[k + 1]) == 1 then return 0 end
            local kept = redis.call('SET', KEYS[k + 5], ARGV[o + 2], 'PX', ARGV[o + 3], 'NX', 'GET')
            if kept then
              if later(kept, ARGV[o + 1]) then return 0 end
              redis.call('SET', KEYS[k + 5], ARGV[o + 2], 'PX', ARGV[o + 3])
            end
          end
          if not redis.call('SET', KEYS[k + 1], ARGV[o + 7], 'PX', ARGV[o + 5], 'NX') then return 0 end
          local ttl = tonumber(ARGV[o + 5])
          if KEYS[k + 2] ~= '' then
            redis.call('RPUSH', KEYS[k + 2], ARGV[o + 4])
            touch(KEYS[k + 2], ttl)
          end
          redis.call('RPUSH', KEYS[k + 3], ARGV[o + 4])
          touch(KEYS[k + 3], ttl)
          -- A minute's list outlives the messages of that minute by a minute or two: it is touched once, when it is new.
          if redis.call('RPUSH', KEYS[k + 4], ARGV[o + 8]) == 1 then
            redis.call('PEXPIRE', KEYS[k + 4], ttl + 120000)
            redis.call('ZADD', KEYS[1], ARGV[o + 6], KEYS[k + 4])
          end
          return 1
        end

        local out = {}
        local k, o = 1, 0
        while o < #ARGV do
          local ok, result = pcall(record, k, o)
          if ok then
            out[#out + 1] = result
          elseif type(result) == 'table' and result.err then
            out[#out + 1] = result.err
          else
            out[#out + 1] = tostring(result)
          end
          k = k + 5
          o = o + 8
        end
        return out
        """;

    /// <summary>
    /// KEYS: message hash, its history list, the hash and history under the client reference (or ''), the all-messages
    /// index, the hash of index keys. ARGV: member, client reference member, message id, status, state, has error
    /// ('1'/'0'), error, history entry, TTL (ms). Renames a message found by its client reference. 1 when a message was
    /// updated.
    /// </summary>
    public const string AddStatus = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          if KEYS[3] == '' or redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
          local old = ARGV[2]
          redis.call('RENAME', KEYS[3], KEYS[1])
          if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('RENAME', KEYS[4], KEYS[2]) end
          redis.call('HSET', KEYS[1], 'id', ARGV[3])
          local f = redis.call('HMGET', KEYS[1], '_call', '_conv', '_caller')
          for _, z in ipairs({KEYS[5], f[1], f[2]}) do
            if z then
              local score = redis.call('ZSCORE', z, old)
              if score then
                redis.call('ZREM', z, old)
                redis.call('ZADD', z, score, ARGV[1])
              end
            end
          end
          if f[3] and redis.call('SREM', f[3], old) == 1 then redis.call('SADD', f[3], ARGV[1]) end
          local indexed = redis.call('HGET', KEYS[6], old)
          if indexed then
            redis.call('HDEL', KEYS[6], old)
            redis.call('HSET', KEYS[6], ARGV[1], indexed)
          end
        end
        redis.call('HSET', KEYS[1], 'st', ARGV[4], 'state', ARGV[5])
        if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'err', ARGV[7]) end
        redis.call('RPUSH', KEYS[2], ARGV[8])
        redis.call('PEXPIRE', KEYS[1], ARGV[9])
        redis.call('PEXPIRE', KEYS[2], ARGV[9])
        return 1
        """;

    /// <summary>
    /// ARGV: message key prefix, history key prefix, then members. One entry per member: empty when it is gone, the
    /// JSON string of an inbound message, or the hash's field/value pairs and the history list (an outbound message, or
    /// an inbound one logged before inbound messages were strings). One atomic read, so a status and its history agree.
    /// </summary>
    public const string Load = """
        local out = {}
        for i = 3, #ARGV do
          local key = ARGV[1] .. ARGV[i]
          local h = {}
          if string.sub(ARGV[i], 1, 2) == 'i:' and redis.call('TYPE', key).ok == 'string' then
            h = {redis.call('GET', key)}
          else
            h = redis.call('HGETALL', key)
          end
          if #h == 1 then
            out[#out + 1] = h
          elseif #h == 0 then
            out[#out + 1] = {}
          else
            out[#out + 1] = {h, redis.call('LRANGE', ARGV[2] .. ARGV[i], 0, -1)}
          end
        end
        return out
        """;

    /// <summary>
    /// <c>erase_inbound(m, messages, prefix, call, ck)</c> deletes the inbound message <c>m</c> (a string) if it is still
    /// there, and its entry in its call's inbound list and, when <c>ck</c> is given, in that caller's: 1 when the message
    /// was there, else 0. <c>call</c> ('' for none) and <c>ck</c> come from its minute's list entry, so the entries of a
    /// message Redis already expired go too; when <c>call</c> is nil it is read from the message. Lists are searched from
    /// their oldest end, where the retention job's messages are.
    /// </summary>
    private const string EraseInbound = """
        local function erase_inbound(m, messages, prefix, call, ck)
          local key = messages .. m
          local found = redis.call('TYPE', key).ok == 'string'
          if found then
            if call == nil then call = cjson.decode(redis.call('GET', key)).call end
            redis.call('DEL', key)
          end
          if call and call ~= '' then redis.call('LREM', prefix .. 'in:call:' .. call, 1, m) end
          if ck then redis.call('LREM', prefix .. 'in:caller:' .. ck, 1, m) end
          return found and 1 or 0
        end

        """;

    /// <summary>
    /// <c>erase(created, indexed, m, f)</c> deletes the hash-kept message <c>m</c> (outbound, or inbound logged before
    /// inbound messages were strings), its history, and its entries in the all-messages index <c>created</c>, in the
    /// hash of index keys <c>indexed</c> and in the index keys <c>f</c> (call, conversation, caller: the hash's
    /// <c>_call</c>, <c>_conv</c> and <c>_caller</c>, each nil or '' for none).
    /// </summary>
    private const string Erase = """
        local function erase(created, indexed, m, f)
          redis.call('DEL', ARGV[1] .. m, ARGV[2] .. m)
          redis.call('ZREM', created, m)
          redis.call('HDEL', indexed, m)
          if f[1] and f[1] ~= '' then redis.call('ZREM', f[1], m) end
          if f[2] and f[2] ~= '' then redis.call('ZREM', f[2], m) end
          if f[3] and f[3] ~= '' then redis.call('SREM', f[3], m) end
        end

        """;

    /// <summary>
    /// <c>index_keys(indexed, m, f)</c>: the index keys of message <c>m</c> as <c>erase</c> takes them: <c>f</c> (read
    /// from its hash) while the hash is there, else those the hash of index keys <c>indexed</c> kept for it after Redis
    /// expired the hash (an empty table when it kept none: a message logged before that hash existed).
    /// </summary>
    /// <remarks>
    /// The hash of index keys (<c>index:out</c>: member to a JSON array of call index, conversation index and caller set,
    /// '' for none) is what lets the retention job and erasure remove the index entries of an outbound message whose
    /// TTL ran out first: the message's own hash, which names them too, is gone by then.
    /// </remarks>
    private const string IndexKeys = """
        local function index_keys(indexed, m, f)
          if f[3] then return f end
          local kept = redis.call('HGET', indexed, m)
          if kept then return cjson.decode(kept) end
          return {}
        end

        """;

    /// <summary>
    /// KEYS: the caller set, the all-messages index, the caller's inbound list, the hash of index keys. ARGV: message and
    /// history key prefixes, the store's prefix. The count erased.
    /// </summary>
    public const string ForgetCaller = Erase + IndexKeys + EraseInbound + """
        local n = 0
        for _, m in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do n = n + erase_inbound(m, ARGV[1], ARGV[3], nil, nil) end
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          -- Outbound messages, and inbound ones logged as hashes before inbound messages were strings.
          local f = redis.call('HMGET', ARGV[1] .. m, '_call', '_conv', '_caller')
          if redis.call('EXISTS', ARGV[1] .. m) == 1 then n = n + 1 end
          erase(KEYS[2], KEYS[4], m, index_keys(KEYS[4], m, f))
        end
        redis.call('DEL', KEYS[1], KEYS[3])
        return n
        """;

    /// <summary>
    /// KEYS: the all-messages index, the hash of index keys. ARGV: message and history key prefixes, the highest score to
    /// look at, the cutoff (ticks), the batch size. Returns {members looked at, messages deleted}; the index entries of
    /// messages Redis already expired go too.
    /// </summary>
    public const string DeleteOlderThan = Later + Erase + IndexKeys + """
        local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[5]))
        local n = 0
        for _, m in ipairs(members) do
          local f = redis.call('HMGET', ARGV[1] .. m, '_call', '_conv', '_caller', 'at')
          if not f[4] then
            erase(KEYS[1], KEYS[2], m, index_keys(KEYS[2], m, f))
          elseif later(ARGV[4], f[4]) then
            erase(KEYS[1], KEYS[2], m, f)
            n = n + 1
          end
        end
        return {#members, n}
        """;

    /// <summary>
    /// KEYS: the index of inbound minutes, one minute's list (wholly older than the cutoff). ARGV: message key prefix,
    /// the store's prefix, the batch size. Takes up to a batch of the list's entries (each a JSON array: member, call id
    /// or '', caller key) and erases their messages and index entries; the emptied list leaves the index. Returns
    /// {entries taken, messages deleted}.
    /// </summary>
    public const string DeleteInboundMinute = EraseInbound + """
        local entries = redis.call('LPOP', KEYS[2], tonumber(ARGV[3])) or {}
        local n = 0
        for _, entry in ipairs(entries) do
          local e = cjson.decode(entry)
          n = n + erase_inbound(e[1], ARGV[1], ARGV[2], e[2], e[3])
        end
        if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], KEYS[2]) end
        return {#entries, n}
        """;

    /// <summary>
    /// KEYS: the list of the minute that holds the cutoff. ARGV: message key prefix, the store's prefix, the first index
    /// to look at, the batch size, the cutoff (ticks). Erases the messages of that page created before the cutoff (the
    /// list keeps their entries until its minute is wholly past). Returns {members looked at, messages deleted}.
    /// </summary>
    public const string DeleteInboundBefore = Later + EraseInbound + """
        local first = tonumber(ARGV[3])
        local entries = redis.call('LRANGE', KEYS[1], first, first + tonumber(ARGV[4]) - 1)
        local n = 0
        for _, entry in ipairs(entries) do
          local e = cjson.decode(entry)
          local blob = redis.call('GET', ARGV[1] .. e[1])
          if blob and later(ARGV[5], cjson.decode(blob).at) then n = n + erase_inbound(e[1], ARGV[1], ARGV[2], e[2], e[3]) end
        end
        return {#entries, n}
        """;
}
