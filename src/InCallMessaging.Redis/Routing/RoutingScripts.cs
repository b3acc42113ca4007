namespace InCallMessaging.Redis.Internal;

/// <summary>The Lua script that hands a message to the instance that owns its call, atomically with its deduplication.</summary>
internal static class RoutingScripts
{
    /// <summary>What <see cref="HandOff"/> answers.</summary>
    public const int NotRouted = 0, HandedOff = 1, Duplicate = 2;

    /// <summary>
    /// KEYS: the seen key, then up to three route keys that hold a call id ('' for none); the first of them is strict
    /// (a call it names that has no owner ends the search). ARGV: seen TTL (ms), key prefix, kind, payload, parking key
    /// ('' for none), parking TTL (ms). Marks the message as seen (already seen: 2), finds the first named call with an
    /// owner, appends the message (and its call id) to the owner's inbox, registers the owner's inbox and rings its doorbell (1). When no
    /// route key names any call and a parking key is given (a status that beat its send's answer), the message is parked
    /// there until the call records the message (1). No owner: the mark is removed so the receiving instance handles it (0).
    /// </summary>
    public const string HandOff = """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 2 end
        local owner = false
        local found = false
        local call = false
        for i = 2, #KEYS do
          if KEYS[i] ~= '' then
            call = redis.call('GET', KEYS[i])
            if call then
              found = true
              owner = redis.call('GET', ARGV[2] .. 'call:' .. call .. ':owner')
              if owner or i == 2 then break end
            end
          end
        end
        if not owner then
          if not found and ARGV[5] and ARGV[5] ~= '' then
            redis.call('RPUSH', ARGV[5], ARGV[3] .. '|' .. ARGV[4])
            redis.call('PEXPIRE', ARGV[5], ARGV[6])
            return 1
          end
          redis.call('DEL', KEYS[1])
          return 0
        end
        redis.call('XADD', ARGV[2] .. 'inbox:' .. owner, '*', 'kind', ARGV[3], 'payload', ARGV[4], 'call', call)
        redis.call('SADD', ARGV[2] .. 'instances', owner)
        redis.call('PUBLISH', ARGV[2] .. 'doorbell:' .. owner, '1')
        return 1
        """;

    /// <summary>KEYS[1] a key; ARGV[1] a value. Deletes the key only while it holds the value (a claim still ours, a pointer still at our call).</summary>
    public const string DeleteIfEquals = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    /// <summary>
    /// KEYS: the message's route key, the conversation's route key, the message's parking key, this instance's inbox,
    /// the set of instances. ARGV: call id, route TTL (ms), this instance's id, its doorbell channel. Records which call
    /// sent the message and in which conversation, then moves whatever was parked for the message (statuses that beat
    /// the send's answer) into this instance's inbox and rings its doorbell. Answers how many entries it moved.
    /// </summary>
    public const string RecordSent = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
        local parked = redis.call('LRANGE', KEYS[3], 0, -1)
        if #parked == 0 then return 0 end
        for _, entry in ipairs(parked) do
          local sep = string.find(entry, '|', 1, true)
          redis.call('XADD', KEYS[4], '*', 'kind', string.sub(entry, 1, sep - 1), 'payload', string.sub(entry, sep + 1), 'call', ARGV[1])
        end
        redis.call('DEL', KEYS[3])
        redis.call('SADD', KEYS[5], ARGV[3])
        redis.call('PUBLISH', ARGV[4], '1')
        return #parked
        """;

    /// <summary>
    /// KEYS: an instance's heartbeat key, its inbox stream, the set of instances. ARGV: its id. Forgets a dead instance
    /// once its inbox is empty: deletes the stream and removes it from the set (1); it is alive or its inbox is not
    /// empty (0). A hand-off into it afterwards creates the stream and adds it to the set again, in the same script.
    /// </summary>
    public const string ForgetDeadInbox = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        if redis.call('XLEN', KEYS[2]) > 0 then return 0 end
        redis.call('DEL', KEYS[2])
        redis.call('SREM', KEYS[3], ARGV[1])
        return 1
        """;

    /// <summary>
    /// KEYS: this instance's heartbeat key, its inbox stream, the set of instances, then the claim keys of its live calls.
    /// ARGV: its id. A graceful stop: deletes each claim and the heartbeat only while they still name this instance, and,
    /// when the inbox is empty, deletes it and leaves the set (a hand-off after this finds no owner; one before it is in
    /// the inbox, which a live instance's janitor delivers). Answers how many claims it released.
    /// </summary>
    public const string Release = """
        local released = 0
        for i = 4, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[1] then
            redis.call('DEL', KEYS[i])
            released = released + 1
          end
        end
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('XLEN', KEYS[2]) == 0 then
          redis.call('DEL', KEYS[2])
          redis.call('SREM', KEYS[3], ARGV[1])
        end
        return released
        """;
}
