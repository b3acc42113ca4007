namespace InCallMessaging.Redis.Internal;

/// <summary>The Lua script that hands a message to the instance that owns its call, atomically with its deduplication.</summary>
internal static class RoutingScripts
{
    /// <summary>What <see cref="HandOff"/> answers.</summary>
    public const int NotRouted = 0, HandedOff = 1, Duplicate = 2;

    /// <summary>
    /// KEYS: the seen key, then up to three route keys that hold a call id ('' for none); the first of them is strict
    /// (a call it names that has no owner ends the search). ARGV: seen TTL (ms), key prefix, kind, payload. Marks the
    /// message as seen (already seen: 2), finds the first named call with an owner, appends the message to the owner's
    /// inbox and rings its doorbell (1). No owner: the mark is removed so the receiving instance handles it (0).
    /// </summary>
    public const string HandOff = """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 2 end
        local owner = false
        for i = 2, #KEYS do
          if KEYS[i] ~= '' then
            local call = redis.call('GET', KEYS[i])
            if call then
              owner = redis.call('GET', ARGV[2] .. 'call:' .. call .. ':owner')
              if owner or i == 2 then break end
            end
          end
        end
        if not owner then
          redis.call('DEL', KEYS[1])
          return 0
        end
        redis.call('XADD', ARGV[2] .. 'inbox:' .. owner, '*', 'kind', ARGV[3], 'payload', ARGV[4])
        redis.call('PUBLISH', ARGV[2] .. 'doorbell:' .. owner, '1')
        return 1
        """;

    /// <summary>KEYS[1] a key; ARGV[1] a value. Deletes the key only while it holds the value (a claim still ours, a pointer still at our call).</summary>
    public const string DeleteIfEquals = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;
}
