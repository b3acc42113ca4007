using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// One live call: who is on it and its variables. It coordinates, under one lock, what the call keeps: its messages
/// (<see cref="CallMessageLog"/>), its send guards (<see cref="SendGuard"/>), the actions waiting for a reply
/// (<see cref="ReplyWaits"/>) and the lines waiting for its chat history (<see cref="PendingTranscript"/>, applied with
/// <see cref="CallSessionChatExtensions.ApplyPendingReplies(CallSession, Microsoft.SemanticKernel.ChatCompletion.ChatHistory)"/>). Start one with <see cref="ICallSessionRegistry.StartCall"/> and bind it to the call's kernel
/// with <see cref="CallSessionKernelExtensions.WithCallSession"/>.
/// </summary>
/// <remarks>Thread-safe: webhooks deliver replies on other threads while the agent's turn runs.</remarks>
public sealed class CallSession
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<(MessageChannel, string), string> _replyVariables = new(SenderKeyComparer.Instance);
    private readonly CallMessageLog _log = new();
    private readonly SendGuard _guard = new();
    private readonly ReplyWaits _waits = new();
    private readonly PendingTranscript _transcript = new();
    private readonly CancellationTokenSource _ended = new();

    internal CallSession(string callId, string callerNumber, string? agentNumber,
        IReadOnlyDictionary<string, string> metadata, DateTimeOffset startedAt)
    {
        CallId = callId;
        CallerNumber = callerNumber;
        AgentNumber = agentNumber;
        Metadata = metadata;
        StartedAt = startedAt;
        foreach (var (key, value) in metadata)
        {
            _variables[key] = value;
        }

        _variables[CallVariables.CallId] = callId;
        _variables[CallVariables.UserPhoneNumber] = callerNumber;
        if (agentNumber is not null)
        {
            _variables[CallVariables.AgentPhoneNumber] = agentNumber;
        }
    }

    /// <summary>The call's id (Twilio CallSid).</summary>
    public string CallId { get; }

    /// <summary>The caller's number (E.164 when it could be normalized).</summary>
    public string CallerNumber { get; }

    /// <summary>The caller's key in the state stores (<see cref="CallerKeys.Of"/>), computed once.</summary>
    internal string CallerKey => _callerKey ??= CallerKeys.OfNormalized(CallerNumber);

    private string? _callerKey;

    /// <summary>Whether <see cref="CallerNumber"/> is a valid E.164 number (checked once, when the call started).</summary>
    internal bool CallerIsTextable { get; init; }

    /// <summary>The most received messages kept in <see cref="Messages"/> (<see cref="InCallMessagingOptions.MaxReceivedMessagesPerCall"/>).</summary>
    internal int MaxReceivedMessages { get; init; } = 50;

    /// <summary>The most lines queued for the chat history (<see cref="InCallMessagingOptions.MaxPendingReplyLines"/>).</summary>
    internal int MaxPendingLines { get; init; } = 10;

    /// <summary>Whether transcript lines show attachment URLs (<see cref="InCallMessagingOptions.MediaUrlsInTranscript"/>).</summary>
    internal bool MediaUrlsInTranscript { get; init; }

    /// <summary>The agent's (called) number.</summary>
    public string? AgentNumber { get; }

    /// <summary>Metadata supplied when the call started (templates may use the keys declared in <see cref="InCallMessagingOptions.MetadataKeys"/>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>When the call started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>When the call ended, or <see langword="null"/> while it is live.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>Whether the call is live.</summary>
    public bool IsActive => EndedAt is null;

    /// <summary>
    /// The actions this call offers: the running set when it started, kept for the whole call even when the
    /// configuration reloads. A host gives the call its own set (per agent or tenant) by setting it before the call's
    /// first turn, from <see cref="InCallActionSet.Where"/> or <see cref="InCallMessagingRuntime.CreateActionSet(IEnumerable{InCallMessageAction}, Func{InCallMessageAction, bool})"/>.
    /// A kernel or chat client bound to the call offers these functions, and an action outside the set is refused.
    /// <see langword="null"/> only for a session not started by a runtime's registry.
    /// </summary>
    public InCallActionSet? Actions
    {
        get => Volatile.Read(ref _actions);
        set => Volatile.Write(ref _actions, value ?? throw new ArgumentNullException(nameof(value)));
    }

    private InCallActionSet? _actions;

    /// <summary>Speaks into the call (message before action, fallback). Set by the host; without it nothing is spoken.</summary>
    public ICallSpeech? Speech { get; set; }

    /// <summary>Cancelled when the call ends.</summary>
    public CancellationToken CallEnded => _ended.Token;

    /// <summary>Whether an action has sent its message and is now waiting for the caller's reply.</summary>
    public bool IsWaitingForReply
    {
        get
        {
            lock (_gate)
            {
                return _waits.AnyArmed;
            }
        }
    }

    /// <summary>Whether lines are queued for the chat history (see <see cref="CallSessionChatExtensions"/>).</summary>
    public bool HasPendingReplies
    {
        get
        {
            lock (_gate)
            {
                return _transcript.Count > 0;
            }
        }
    }

    /// <summary>A snapshot of the call's variables: caller and agent numbers, call id, metadata and replies so far.</summary>
    public IReadOnlyDictionary<string, string> Variables
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, string>(_variables, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>How many replies the call has received, including any no longer kept in <see cref="Messages"/>.</summary>
    public int RepliesReceived => _log.RepliesReceived;

    /// <summary>
    /// A snapshot of the messages sent and received during the call, oldest first. At most
    /// <see cref="InCallMessagingOptions.MaxReceivedMessagesPerCall"/> received messages are kept (the newest).
    /// </summary>
    public IReadOnlyList<CallMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return _log.Snapshot();
            }
        }
    }

    /// <summary>How many messages <see cref="Messages"/> holds, without building it.</summary>
    internal int MessageCount
    {
        get
        {
            lock (_gate)
            {
                return _log.Count;
            }
        }
    }

    /// <summary>Reads one variable.</summary>
    public string? GetVariable(string name)
    {
        lock (_gate)
        {
            return _variables.GetValueOrDefault(name);
        }
    }

    /// <summary>Sets (or, with <see langword="null"/>, removes) a call variable that later templates can use.</summary>
    public void SetVariable(string name, string? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_gate)
        {
            if (value is null)
            {
                _variables.Remove(name);
            }
            else
            {
                _variables[name] = value;
            }
        }
    }

    /// <summary>
    /// Builds <see cref="KernelArguments"/> holding the call's variables, so prompt templates can use <c>{{$sms_reply}}</c>.
    /// </summary>
    public KernelArguments CreateKernelArguments(PromptExecutionSettings? executionSettings = null)
    {
        var arguments = executionSettings is null ? new KernelArguments() : new KernelArguments(executionSettings);
        lock (_gate)
        {
            foreach (var (key, value) in _variables)
            {
                arguments[key] = value;
            }
        }

        return arguments;
    }

    /// <summary>
    /// Ends a wait with words the caller spoke (or keyed) instead of texting: speech or text, whichever comes first,
    /// moves the conversation on. The action's result then says the caller answered by voice. When the action has a
    /// <see cref="InCallMessageAction.ReplyPattern"/>, only words that match it answer; others ("hold on", another
    /// request) leave the wait running: the host can then let the model answer them with
    /// <see cref="ContinueWaitInBackground"/>. Words that answer a wait whose action already returned (it waits in the
    /// background) end that wait too, but nothing carries them to the model: the method returns
    /// <see langword="false"/> and the host gives them to the model as the caller's turn.
    /// </summary>
    /// <returns><see langword="true"/> when a waiting action took the words as its result (start no turn with them).</returns>
    public bool TryAnswerByVoice(string words)
    {
        ArgumentNullException.ThrowIfNull(words);
        ReplyWait? wait;
        lock (_gate)
        {
            wait = _waits.AnsweredBy(words);
        }

        return wait is not null && wait.TryComplete(new ReplyWaitOutcome(ReplyWaitKind.AnsweredByVoice, words)) && !wait.Detached;
    }

    /// <summary>
    /// Lets the model talk while the oldest waiting action goes on waiting: the action returns now with status
    /// <c>waiting</c> (so the agent's turn ends and the caller's other words can have their own), and its wait continues
    /// in the background with its reminders, timeout and fallback line. A reply that comes later reaches the chat
    /// history as an <c>[SMS Reply]:</c> line, as any reply does, and raises <see cref="MessageArrived"/> so the host can
    /// start a turn for it. Use it when the caller says something that does not answer the wait (see
    /// <see cref="TryAnswerByVoice"/>).
    /// </summary>
    /// <returns><see langword="true"/> when an action was waiting and now returns.</returns>
    public bool ContinueWaitInBackground()
    {
        ReplyWait? wait;
        lock (_gate)
        {
            wait = _waits.OldestAttached;
        }

        if (wait is null || wait.Task.IsCompleted)
        {
            return false;
        }

        wait.RequestStepAside();
        return true;
    }

    /// <summary>
    /// Raised when <see cref="IsWaitingForReply"/> may have changed: an action's message went out and its wait began, or
    /// a wait ended (a reply, the timeout, the call ending). Handlers read <see cref="IsWaitingForReply"/>; a host uses it
    /// to show "waiting for a text". Raised on the thread that changed it; keep handlers short.
    /// </summary>
    public event EventHandler? WaitingForReplyChanged;

    /// <summary>
    /// Raised when a reply or a delivery status reaches this call while it is live, after it took effect: the reply
    /// variable is set, a waiting action resumed and the transcript line queued. A host uses it to start a turn when
    /// the line is quiet (nobody is speaking and no action is waiting), so the agent reacts to a text at once.
    /// </summary>
    /// <remarks>Raised on the thread that delivered the message (a webhook's); keep handlers short and do not block.</remarks>
    public event EventHandler<CallMessageEventArgs>? MessageArrived;

    /// <summary>Whether anything listens to <see cref="MessageArrived"/> (so its arguments are built only then).</summary>
    internal bool HasMessageArrivedHandlers => MessageArrived is not null;

    /// <summary>Raises <see cref="MessageArrived"/>; a handler that throws is logged and does not stop the others or the delivery.</summary>
    internal void RaiseMessageArrived(CallMessageEventArgs args, Microsoft.Extensions.Logging.ILogger logger)
    {
        if (MessageArrived is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<CallMessageEventArgs>)handler)(this, args);
            }
            catch (Exception ex)
            {
                Microsoft.Extensions.Logging.LoggerExtensions.LogError(logger, ex, "A MessageArrived handler of call {CallId} failed.", CallId);
            }
        }
    }

    internal void End(DateTimeOffset now)
    {
        ReplyWait[] waits;
        lock (_gate)
        {
            if (EndedAt is not null)
            {
                return;
            }

            EndedAt = now;
            waits = _waits.All();
        }

        foreach (var wait in waits)
        {
            wait.TryComplete(new ReplyWaitOutcome(ReplyWaitKind.CallEnded));
        }

        _ended.Cancel();
    }

    // Reply waits.

    internal ReplyWait BeginWait(MessageChannel channel, string senderName, DateTimeOffset now, System.Text.RegularExpressions.Regex? replyPattern = null)
    {
        var wait = new ReplyWait(channel, senderName, now, replyPattern);
        lock (_gate)
        {
            _waits.Add(wait);
        }

        return wait;
    }

    /// <summary>The action's message is out: from now on the caller is being waited for.</summary>
    internal void ArmWait(ReplyWait wait, Microsoft.Extensions.Logging.ILogger logger)
    {
        lock (_gate)
        {
            wait.IsArmed = true;
        }

        RaiseWaitingChanged(logger);
    }

    /// <summary>The action returns while its wait goes on; false when the wait has already ended (its outcome is the result).</summary>
    internal bool TryDetachWait(ReplyWait wait)
    {
        lock (_gate)
        {
            if (wait.Task.IsCompleted)
            {
                return false;
            }

            wait.Detached = true;
            return true;
        }
    }

    internal void EndWait(ReplyWait wait, Microsoft.Extensions.Logging.ILogger logger)
    {
        bool armed;
        lock (_gate)
        {
            armed = _waits.Remove(wait) && wait.IsArmed;
        }

        if (armed)
        {
            RaiseWaitingChanged(logger);
        }
    }

    /// <summary>Raises <see cref="WaitingForReplyChanged"/>; a handler that throws is logged and does not break the wait.</summary>
    private void RaiseWaitingChanged(Microsoft.Extensions.Logging.ILogger logger)
    {
        try
        {
            WaitingForReplyChanged?.Invoke(this, EventArgs.Empty);
        }
        catch (Exception ex)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogError(logger, ex, "A WaitingForReplyChanged handler of call {CallId} failed.", CallId);
        }
    }

    /// <summary>Ends the wait on <paramref name="messageId"/> because the provider could not deliver it.</summary>
    /// <returns><see langword="true"/> when a waiting action was ended (its result reports the failure).</returns>
    internal bool FailWait(string messageId, string? errorCode)
    {
        ReplyWait? wait;
        lock (_gate)
        {
            wait = _waits.ForMessage(messageId);
        }

        return wait?.TryComplete(new ReplyWaitOutcome(ReplyWaitKind.DeliveryFailed, ErrorCode: errorCode)) == true;
    }

    /// <summary>A wait on a message that was replaced (a WhatsApp template sent for a refused free-form text) waits on the replacement.</summary>
    internal void RetargetWait(string messageId, string replacementId)
    {
        lock (_gate)
        {
            _waits.Retarget(messageId, replacementId);
        }
    }

    // Send guards.

    /// <summary>Reserves one send against the call's guards (<see cref="SendGuard"/>).</summary>
    internal SendReservation TryReserveSend(string duplicateKey, string recipient, DateTimeOffset now, TimeSpan window, int maxMessages, int maxRecipients)
    {
        lock (_gate)
        {
            return _guard.TryReserve(duplicateKey, recipient, now, window, maxMessages, maxRecipients);
        }
    }

    /// <summary>Gives back a reservation made at <paramref name="reservedAt"/>: the send is known not to have reached the caller.</summary>
    internal void ReleaseSend(string duplicateKey, DateTimeOffset reservedAt)
    {
        lock (_gate)
        {
            _guard.Release(duplicateKey, reservedAt);
        }
    }

    /// <summary>Keeps a reservation whose send may or may not have reached the provider, and says so to the next identical send.</summary>
    internal void MarkOutcomeUnknown(string duplicateKey, DateTimeOffset reservedAt)
    {
        lock (_gate)
        {
            _guard.SetOutcomeUnknown(duplicateKey, reservedAt, unknown: true);
        }
    }

    /// <summary>A status callback shows that <paramref name="message"/>, whose send had no clear answer, did go out.</summary>
    internal void ConfirmSent(CallMessage message)
    {
        if (message.Reservation is { } reservation)
        {
            lock (_gate)
            {
                _guard.SetOutcomeUnknown(reservation.DuplicateKey, reservation.ReservedAt, unknown: false);
            }
        }
    }

    /// <summary>
    /// The provider reported <paramref name="message"/> failed or undelivered: nothing reached the caller, so its cap
    /// slot and duplicate entry are given back (once), and the same text may be sent again.
    /// </summary>
    internal void ReleaseFailedSend(CallMessage message)
    {
        if (message.Reservation is { } reservation && Interlocked.Exchange(ref message.ReservationReleased, 1) == 0)
        {
            ReleaseSend(reservation.DuplicateKey, reservation.ReservedAt);
        }
    }

    // Messages.

    internal void RecordOutbound(CallMessage message, string replyVariable)
    {
        lock (_gate)
        {
            _log.RecordOutbound(message);
            _replyVariables[(message.Channel, message.SenderName)] = replyVariable;
        }
    }

    internal CallMessage? FindMessage(string messageId, string? clientReference = null)
    {
        lock (_gate)
        {
            return _log.FindSent(messageId, clientReference);
        }
    }

    /// <summary>
    /// Records a reply, sets its variable (and the companion <c>{variable}_media</c> with its attachments, cleared when it
    /// has none), queues its transcript line and resumes the waiting action, if any. An opt-out
    /// (<paramref name="optedOut"/>: the caller texted STOP or the like) is recorded and reaches the transcript, so the
    /// model knows, but it is no answer: the variable keeps its value and the waiting action ends as opted out.
    /// </summary>
    /// <returns>How many older transcript lines were dropped to stay within <see cref="MaxPendingLines"/>, and whether a waiting action took the reply.</returns>
    internal (int Dropped, bool ResumedWait) AcceptReply(InboundMessage reply, string caller, string senderName, string text, DateTimeOffset now, bool optedOut = false)
    {
        ReplyWait? wait = null;
        var dropped = 0;
        lock (_gate)
        {
            _log.RecordReceived(reply, senderName, caller, text, now, MaxReceivedMessages);
            if (!optedOut)
            {
                var variable = _replyVariables.GetValueOrDefault((reply.Channel, senderName))
                    ?? CallVariables.DefaultReplyVariable(reply.Channel);
                _variables[variable] = text;
                if (reply.Media.Count > 0)
                {
                    _variables[CallVariables.MediaVariable(variable)] = ReplyMedia.ToJson(reply.Media);
                }
                else
                {
                    // A text-only reply clears an earlier reply's attachments, so they are never taken for this one's.
                    _variables.Remove(CallVariables.MediaVariable(variable));
                }
            }

            if (EndedAt is null)
            {
                wait = _waits.For(reply, senderName);
                dropped = _transcript.Enqueue(new PendingReplyLine(reply.Channel, text, reply.Media), MaxPendingLines);
            }
        }

        // A wait whose action already returned ends too, but resumes nobody: the transcript line carries the reply.
        var resumed = wait?.TryComplete(new ReplyWaitOutcome(optedOut ? ReplyWaitKind.OptedOut : ReplyWaitKind.Replied, text, reply)) == true && !wait.Detached;
        return (dropped, resumed);
    }

    // The pending transcript.

    /// <summary>
    /// Queues a delivery-status line (<c>[SMS Status]: ...</c>) for the chat history, under the same safe-point rules
    /// and bound as reply lines, and sets the channel's status variable (<c>sms_status</c> / <c>whatsapp_status</c>).
    /// </summary>
    internal void QueueStatusLine(MessageChannel channel, string status, string line)
    {
        lock (_gate)
        {
            _variables[CallVariables.StatusVariable(channel)] = status;
            _transcript.Enqueue(new PendingReplyLine(channel, line, [], IsStatus: true), MaxPendingLines);
        }
    }

    /// <summary>Takes every queued line, oldest first, as the chat history will show it.</summary>
    internal string[] TakePendingLines()
    {
        PendingReplyLine[] pending;
        lock (_gate)
        {
            pending = _transcript.TakeAll();
        }

        var mediaUrls = MediaUrlsInTranscript;
        return Array.ConvertAll(pending, line => line.ToString(mediaUrls));
    }

    /// <summary>Whether dropped transcript lines should be reported now: once until the chat history takes the queue again.</summary>
    internal bool ShouldReportDroppedLines() => _transcript.ShouldReportDropped();
}

/// <summary>Compares (channel, sender name) keys; sender names ignore case everywhere.</summary>
internal sealed class SenderKeyComparer : IEqualityComparer<(MessageChannel Channel, string Sender)>
{
    public static readonly SenderKeyComparer Instance = new();

    public bool Equals((MessageChannel Channel, string Sender) x, (MessageChannel Channel, string Sender) y) =>
        x.Channel == y.Channel && string.Equals(x.Sender, y.Sender, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode((MessageChannel Channel, string Sender) obj) =>
        HashCode.Combine(obj.Channel, StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Sender));
}
