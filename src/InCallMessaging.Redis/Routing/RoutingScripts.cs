namespace InCallMessaging.Redis.Internal;

/// <summary>The Lua scripts of routing: the hand-off (atomic with its deduplication), claims, parking, release.</summary>
internal static class RoutingScripts
{
    /// <summary>What <see cref="HandOff"/> answers.</summary>
    public const int NotRouted = 0, HandedOff = 1, Duplicate = 2, Parked = 3;

    /// <summary>
    /// A Lua function the scripts below share: moves the entries parked for a call (<c>kind|payload</c>, oldest first)
    /// into an inbox with the call's id, forgets the call's deadline, lists the inbox's instance and rings its doorbell.
    /// Answers how many it moved.
    /// </summary>
    private const string MoveParked = """
        local function move_parked(list, deadlines, call, inbox, instances, instance, doorbell)
          local parked = redis.call('LRANGE', list, 0, -1)
          redis.call('ZREM', deadlines, call)
          if #parked == 0 then return 0 end
          for _, entry in ipairs(parked) do
            local sep = string.find(entry, '|', 1, true)
            redis.call('XADD', inbox, '*', 'kind', string.sub(entry, 1, sep - 1), 'payload', string.sub(entry, sep + 1), 'call', call)
          end
          redis.call('DEL', list)
          redis.call('SADD', instances, instance)
          redis.call('PUBLISH', doorbell, '1')
          return #parked
        end
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        """;

    /// <summary>
    /// KEYS: the seen key, then the keys that may name the message's call ('' for none), each of the kind ARGV[7] gives
    /// by one letter: <c>S</c>/<c>s</c> a route key holding a call id, <c>H</c> a logged message's hash (its <c>call</c>
    /// field, if logged within ARGV[10] ms), <c>z</c> a logged conversation (its latest outbound messages within ARGV[10]
    /// ms, by their <c>call</c> field); upper case is strict (a call it names ends the search). ARGV: seen TTL (ms), key
    /// prefix, kind, payload, message parking key ('' for none), message parking TTL (ms), key kinds, call parking
    /// deadline (ms from now), call parking TTL (ms), log look-back (ms).
    /// </summary>
    /// <remarks>
    /// Marks the message as seen (already seen: 2) and finds the first named call with an owner: appends the message
    /// (and its call id) to the owner's inbox, lists the owner and rings its doorbell (1). A named call no instance has
    /// claimed yet (no owner and no <c>claimed</c> mark: its claim has not landed) parks the message under
    /// <c>parked:call:{id}</c> with a deadline in <c>parked-calls</c>; the claim moves it into the owner's inbox in one
    /// script, or, past the deadline, a sweeper takes it (3). When no key names any call and a message parking key is
    /// given (a status that beat its send's answer), the message is parked there until the call records the message
    /// (1). Otherwise (every named call ended or lost its owner): the mark is removed and the receiving instance handles
    /// it (0).
    /// </remarks>
    public const string HandOff = MoveParked + """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 2 end
        local prefix = ARGV[2]
        local kinds = ARGV[7]
        local since = now_ms() - tonumber(ARGV[10])
        local function named_call(i)
          local kind = string.sub(kinds, i - 1, i - 1)
          if kind == 'H' then
            local logged = redis.call('HMGET', KEYS[i], 'call', 'at')
            if logged[1] and logged[2] and (tonumber(logged[2]) - 621355968000000000) / 10000 >= since then return logged[1] end
            return false
          end
          if kind == 'z' then
            local members = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', since, 'LIMIT', 0, 4)
            for _, member in ipairs(members) do
              local call = redis.call('HGET', prefix .. 'msg:' .. member, 'call')
              if call then return call end
            end
            return false
          end
          return redis.call('GET', KEYS[i])
        end
        local owner, call, waiting, found = false, false, false, false
        for i = 2, #KEYS do
          if KEYS[i] ~= '' then
            local named = named_call(i)
            if named then
              found = true
              owner = redis.call('GET', prefix .. 'call:' .. named .. ':owner')
              if owner then
                call = named
                break
              end
              if not waiting and redis.call('EXISTS', prefix .. 'call:' .. named .. ':claimed') == 0 then waiting = named end
              local kind = string.sub(kinds, i - 1, i - 1)
              if kind == 'S' or kind == 'H' then break end
            end
          end
        end
        if owner then
          redis.call('XADD', prefix .. 'inbox:' .. owner, '*', 'kind', ARGV[3], 'payload', ARGV[4], 'call', call)
          redis.call('SADD', prefix .. 'instances', owner)
          redis.call('PUBLISH', prefix .. 'doorbell:' .. owner, '1')
          return 1
        end
        if waiting then
          local list = prefix .. 'parked:call:' .. waiting
          redis.call('RPUSH', list, ARGV[3] .. '|' .. ARGV[4])
          redis.call('PEXPIRE', list, ARGV[9])
          redis.call('ZADD', prefix .. 'parked-calls', 'NX', now_ms() + tonumber(ARGV[8]), waiting)
          return 3
        end
        if not found and ARGV[5] ~= '' then
          redis.call('RPUSH', ARGV[5], ARGV[3] .. '|' .. ARGV[4])
          redis.call('PEXPIRE', ARGV[5], ARGV[6])
          return 1
        end
        redis.call('DEL', KEYS[1])
        return 0
        """;

    /// <summary>
    /// KEYS: the call's claim key, its <c>claimed</c> mark, its parked list, the <c>parked-calls</c> deadlines, this
    /// instance's inbox, the set of instances, the caller's live-call key ('' on a renewal). ARGV: this instance's id,
    /// lease (ms), route TTL (ms), call id, its doorbell channel. Claims (or renews) the call, marks it as claimed (from
    /// now on a reply to it while it has no owner means it ended or its owner died, not that the claim is on its way),
    /// and moves what was parked for it into this instance's inbox, all in one step: a hand-off before it was parked and
    /// moved here, one after it finds the owner. Answers how many entries it moved.
    /// </summary>
    public const string Claim = MoveParked + """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
        if KEYS[7] ~= '' then redis.call('SET', KEYS[7], ARGV[4], 'PX', ARGV[3]) end
        if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
        return move_parked(KEYS[3], KEYS[4], ARGV[4], KEYS[5], KEYS[6], ARGV[1], ARGV[5])
        """;

    /// <summary>
    /// KEYS and ARGV as <see cref="Claim"/> (without the lease). A call of this instance ended: gives up its claim and
    /// the caller's live call (each only while still its own), marks the call as claimed (a claim that never landed
    /// still ends: replies to it take the after-call path, not a parking wait), and moves what was parked for it into
    /// this instance's inbox (its delivery here finds the call ended: the after-call path). Answers how many it moved.
    /// </summary>
    public const string End = MoveParked + """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
        if KEYS[7] ~= '' and redis.call('GET', KEYS[7]) == ARGV[4] then redis.call('DEL', KEYS[7]) end
        if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
        return move_parked(KEYS[3], KEYS[4], ARGV[4], KEYS[5], KEYS[6], ARGV[1], ARGV[5])
        """;

    /// <summary>
    /// KEYS: the <c>parked-calls</c> deadlines, this instance's inbox, the set of instances. ARGV: key prefix, this
    /// instance's id, its doorbell channel, batch size. For each call whose parking deadline passed (no instance
    /// claimed it in time), moves what was parked for it into its owner's inbox if it has one by now, else into this
    /// instance's inbox, whose delivery takes the after-call path (once: the move is atomic, the delivery idempotent).
    /// Answers how many entries it moved.
    /// </summary>
    public const string SweepParked = MoveParked + """
        local moved = 0
        for _, call in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[4]))) do
          local owner = redis.call('GET', ARGV[1] .. 'call:' .. call .. ':owner')
          local instance, inbox, doorbell = ARGV[2], KEYS[2], ARGV[3]
          if owner then
            instance, inbox, doorbell = owner, ARGV[1] .. 'inbox:' .. owner, ARGV[1] .. 'doorbell:' .. owner
          end
          moved = moved + move_parked(ARGV[1] .. 'parked:call:' .. call, KEYS[1], call, inbox, KEYS[3], instance, doorbell)
        end
        return moved
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
