using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The in-memory <see cref="ICallSessionRegistry"/>: lock-free look-ups by call id, conversation and message id. It
/// evicts ended calls past <see cref="InCallMessagingOptions.EndedCallRetention"/> itself as calls start; in a host,
/// a background service also evicts them every <see cref="InCallMessagingOptions.EvictionInterval"/>.
/// </summary>
internal sealed class CallSessionRegistry : ICallSessionRegistry
{
    private readonly ConcurrentDictionary<string, CallSession> _byCallId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ConversationKey, CallSession> _byConversation = new();
    private readonly ConcurrentDictionary<string, CallSession> _byCaller = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CallSession> _byMessageId = new(StringComparer.Ordinal);
    private readonly InCallMessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IReplyRouter _router;
    private readonly Func<InCallActionSet?>? _actions;
    private int _active;
    private long _nextEvictionTicks;

    /// <summary>Creates a registry.</summary>
    public CallSessionRegistry(IOptions<InCallMessagingOptions> options, TimeProvider? timeProvider = null, ILogger<CallSessionRegistry>? logger = null,
        IReplyRouter? router = null, Func<InCallActionSet?>? actions = null)
    {
        _actions = actions;
        _router = router ?? LocalReplyRouter.Instance;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<CallSessionRegistry>.Instance;
    }

    /// <inheritdoc />
    public int ActiveCount => Volatile.Read(ref _active);

    /// <inheritdoc />
    public int Count => _byCallId.Count;

    /// <inheritdoc />
    public CallSession StartCall(string callId, string callerNumber, string? agentNumber = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callId);
        ArgumentException.ThrowIfNullOrWhiteSpace(callerNumber);
        EvictIfDue();
        var textable = PhoneNumbers.TryNormalize(callerNumber, out var caller);
        if (!textable)
        {
            caller = ChannelAddress.Strip(callerNumber);
        }

        var agent = agentNumber is null ? null : PhoneNumbers.NormalizeOrKeep(agentNumber);
        var fresh = new CallSession(callId, caller, agent, metadata ?? new Dictionary<string, string>(), _time.GetUtcNow())
        {
            CallerIsTextable = textable,
            MaxReceivedMessages = _options.MaxReceivedMessagesPerCall,
            MaxPendingLines = _options.MaxPendingReplyLines,
            MediaUrlsInTranscript = _options.MediaUrlsInTranscript,
        };
        if (_actions?.Invoke() is { } running)
        {
            fresh.Actions = running;
        }

        var session = _byCallId.AddOrUpdate(callId, fresh, (_, existing) => existing.IsActive ? existing : fresh);
        if (ReferenceEquals(session, fresh))
        {
            Interlocked.Increment(ref _active);
            _byCaller[caller] = session;
            _logger.LogInformation("Call {CallId} started (caller {Caller}).", callId, Mask(caller));
            _router.CallStarted(session);
        }

        return session;
    }

    /// <inheritdoc />
    public bool EndCall(string callId)
    {
        if (!_byCallId.TryGetValue(callId, out var session) || !session.IsActive)
        {
            return false;
        }

        session.End(_time.GetUtcNow());
        _router.CallEnded(session);
        Interlocked.Decrement(ref _active);
        _byCaller.TryRemove(new KeyValuePair<string, CallSession>(session.CallerNumber, session));
        _logger.LogInformation("Call {CallId} ended after {Messages} message(s).", callId, session.MessageCount);
        return true;
    }

    /// <inheritdoc />
    public CallSession? Find(string callId) => _byCallId.GetValueOrDefault(callId);

    /// <inheritdoc />
    public CallSession? FindByConversation(MessageChannel channel, string caller, string senderName)
    {
        var texted = _byConversation.GetValueOrDefault(new ConversationKey(channel, caller, senderName));
        if (texted is { IsActive: true })
        {
            return texted;
        }

        return _byCaller.GetValueOrDefault(caller) ?? texted;
    }

    /// <inheritdoc />
    public CallSession? FindByMessageId(string messageId) => _byMessageId.GetValueOrDefault(messageId);

    /// <inheritdoc />
    public void IndexOutbound(CallSession session, CallMessage message)
    {
        _byMessageId[message.MessageId] = session;
        _byConversation[new ConversationKey(message.Channel, message.Caller, message.SenderName)] = session;
    }

    /// <summary>Forgets ended calls older than the retention, with their indexes.</summary>
    /// <returns>How many calls were evicted.</returns>
    public int EvictExpired()
    {
        var cutoff = _time.GetUtcNow() - _options.EndedCallRetention;
        var evicted = 0;
        foreach (var (callId, session) in _byCallId)
        {
            if (session.EndedAt is not { } ended || ended > cutoff)
            {
                continue;
            }

            if (!_byCallId.TryRemove(new KeyValuePair<string, CallSession>(callId, session)))
            {
                continue;
            }

            foreach (var message in session.Messages)
            {
                _byMessageId.TryRemove(new KeyValuePair<string, CallSession>(message.MessageId, session));
                if (message.Direction == MessageDirection.Outbound)
                {
                    _byConversation.TryRemove(new KeyValuePair<ConversationKey, CallSession>(
                        new ConversationKey(message.Channel, message.Caller, message.SenderName), session));
                }
            }

            evicted++;
        }

        if (evicted > 0)
        {
            _logger.LogDebug("Evicted {Count} ended call(s).", evicted);
        }

        return evicted;
    }

    /// <summary>Hosts without the hosted eviction service (a bare kernel builder) still evict, as calls start.</summary>
    private void EvictIfDue()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var due = Volatile.Read(ref _nextEvictionTicks);
        if (now >= due && Interlocked.CompareExchange(ref _nextEvictionTicks, now + _options.EvictionInterval.Ticks, due) == due)
        {
            EvictExpired();
        }
    }

    private string Mask(string phone) => _options.MaskPersonalData ? Redact.Phone(phone) : phone;

    private readonly record struct ConversationKey(MessageChannel Channel, string Caller, string Sender)
    {
        public bool Equals(ConversationKey other) =>
            Channel == other.Channel
            && string.Equals(Caller, other.Caller, StringComparison.Ordinal)
            && string.Equals(Sender, other.Sender, StringComparison.OrdinalIgnoreCase);

        public override int GetHashCode() =>
            HashCode.Combine(Channel, StringComparer.Ordinal.GetHashCode(Caller), StringComparer.OrdinalIgnoreCase.GetHashCode(Sender));
    }
}
