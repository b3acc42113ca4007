using System.Net.WebSockets;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using VoiceBotHost.Agent;

namespace VoiceBotHost.ConversationRelay;

/// <summary>
/// One call on Twilio ConversationRelay. <c>setup</c> starts the call session; each final <c>prompt</c> (and each
/// <c>dtmf</c> digit) is queued for the agent, whose turns run one at a time; <c>interrupt</c> cancels the answer
/// being spoken; closing the socket ends the call session and starts its after-call run in the background
/// (<see cref="AfterCallRuns"/>).
/// </summary>
/// <remarks>
/// Speech or text, whichever comes first: while an action waits for the caller's text, a spoken prompt that answers
/// the wait (its action's <c>ReplyPattern</c>, e.g. six digits) ends it (<see cref="CallSession.TryAnswerByVoice"/>)
/// and the running turn carries on with it; no new turn starts. Keypad digits pressed during a wait are collected
/// into one answer the same way. Anything else the caller says ("hold on", another request) does not end the wait: the
/// waiting action returns <c>waiting</c> (<see cref="CallSession.ContinueWaitInBackground"/>), the words get their own
/// turn, and the text, when it comes, reaches the model as an <c>[SMS Reply]:</c> line.
/// </remarks>
public sealed class RelaySession
{
    private readonly RelaySocket _socket;
    private readonly ICallSessionRegistry _calls;
    private readonly AgentKernel _agentKernel;
    private readonly VoiceAgent _agent;
    private readonly SystemPrompt _systemPrompt;
    private readonly bool _nudgeOnIdleReply;
    private readonly AfterCallRuns _afterCall;
    private readonly ILogger _logger;
    private readonly AgentTrace? _trace;

    /// <summary>Keypad digits pressed while an action waits: collected into one answer (a code keyed in), not one turn each.</summary>
    private readonly System.Text.StringBuilder _keys = new();
    private const int MaxKeys = 16;

    private readonly Lock _gate = new();
    private readonly Queue<string> _callerLines = new();
    private CallSession? _call;
    private Kernel? _kernel;
    private ChatHistory _history = [];
    private bool _turnRunning;
    private bool _replyNudge;

    /// <summary>Whether the running turn is inside an action that waits for a text (not one that waits in the background).</summary>
    private bool _turnInWait;
    private bool _ended;
    private Task _turns = Task.CompletedTask;
    private CancellationTokenSource? _turnCancellation;
    private string? _heardBeforeInterrupt;

    public RelaySession(RelaySocket socket, ICallSessionRegistry calls, AgentKernel agentKernel, VoiceAgent agent,
        SystemPrompt systemPrompt, bool nudgeOnIdleReply, AfterCallRuns afterCall, ILogger<RelaySession> logger, AgentTrace? trace = null)
    {
        _afterCall = afterCall;
        _trace = trace;
        _socket = socket;
        _calls = calls;
        _agentKernel = agentKernel;
        _agent = agent;
        _systemPrompt = systemPrompt;
        _nudgeOnIdleReply = nudgeOnIdleReply;
        _logger = logger;
    }

    public CallSession? Call => _call;

    /// <summary>Reads the socket until Twilio closes it (the caller hung up) or the host stops.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        IDisposable? callScope = null;
        try
        {
            while (await _socket.ReceiveAsync(stopping) is { } message)
            {
                switch ((string?)message["type"])
                {
                    case "setup" when _call is null:
                        callScope = OnSetup(message);
                        break;
                    case "prompt" when _call is not null:
                        OnPrompt(message);
                        break;
                    case "dtmf" when _call is not null:
                        OnDigit((string?)message["digit"] ?? "");
                        break;
                    case "interrupt" when _call is not null:
                        OnInterrupt((string?)message["utteranceUntilInterrupt"]);
                        break;
                    case "error":
                        _logger.LogWarning("ConversationRelay reported an error: {Description}", (string?)message["description"]);
                        break;
                    default:
                        _logger.LogDebug("Ignored a ConversationRelay '{Type}' message.", (string?)message["type"]);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            _logger.LogInformation("The host is stopping; closing the call's socket.");
        }
        catch (WebSocketException ex)
        {
            _logger.LogInformation("The ConversationRelay socket dropped: {Reason}", ex.Message);
        }
        finally
        {
            await EndAsync();
            callScope?.Dispose();
        }
    }

    /// <summary>A text (or a delivery status) reached this call: if the line is quiet, let the agent react.</summary>
    private void OnMessageArrived(object? sender, CallMessageEventArgs arrived)
    {
        if (arrived.ResumedWait || arrived.TranscriptLine is null)
        {
            // A waiting action's turn answers it, or there is nothing new for the model.
            return;
        }

        lock (_gate)
        {
            if (_call is null || _ended || !_call.HasPendingReplies)
            {
                return;
            }

            // A turn in progress may already have read the history: one more turn follows it for this reply (it does
            // nothing if that turn took the line after all).
            _replyNudge = true;
            if (!_turnRunning)
            {
                StartTurnsLocked();
            }
        }
    }

    private IDisposable? OnSetup(JsonObject setup)
    {
        var callSid = (string?)setup["callSid"];
        var from = (string?)setup["from"];
        if (string.IsNullOrWhiteSpace(callSid) || string.IsNullOrWhiteSpace(from))
        {
            _logger.LogWarning("ConversationRelay setup without callSid or from; the call cannot be served.");
            return null;
        }

        var scope = CallLogScope.Begin(_logger, callSid);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (setup["customParameters"] is JsonObject parameters)
        {
            foreach (var (name, value) in parameters)
            {
                if (value is JsonValue)
                {
                    metadata[name] = value.ToString();
                }
            }
        }

        var call = _calls.StartCall(callSid, from, (string?)setup["to"], metadata);
        call.Speech = _socket;
        if (_trace is { } trace)
        {
            _socket.UtteranceStarting = () => trace.Publish(call.CallId, TraceKind.AgentSpeaking, "");
        }

        _kernel = _agentKernel.ForCall(call);
        _kernel.FunctionInvocationFilters.Add(new HangUpFilter(() => Volatile.Read(ref _ended)));
        _history = _systemPrompt.NewHistory(call);
        lock (_gate)
        {
            _call = call;
        }

        if (_nudgeOnIdleReply)
        {
            call.MessageArrived += OnMessageArrived;
        }

        call.WaitingForReplyChanged += OnWaitingChanged;

        _logger.LogInformation("Call started from {Caller} to {Agent} with {Count} custom parameter(s).",
            LogMask.Phone(from), LogMask.Phone((string?)setup["to"]), metadata.Count);
        return scope;
    }

    private void OnPrompt(JsonObject prompt)
    {
        // Partial transcripts (last: false) only arrive when partialPrompts is on; the agent acts on final ones.
        if (prompt["last"] is JsonValue last && last.TryGetValue<bool>(out var isLast) && !isLast)
        {
            return;
        }

        var words = ((string?)prompt["voicePrompt"] ?? "").Trim();
        if (words.Length == 0)
        {
            return;
        }

        if (_call!.IsWaitingForReply)
        {
            if (_call.TryAnswerByVoice(words))
            {
                _logger.LogInformation("The caller answered by voice ({Text}) while an action waited for a text.", LogMask.Text(words));
                return;
            }

            // Not the answer: the waiting action steps aside (its wait goes on) and these words get a turn of their own.
            if (_call.ContinueWaitInBackground())
            {
                _logger.LogInformation("The caller said something else while an action waited for a text; the wait goes on.");
            }
        }

        Enqueue(words);
    }

    /// <summary>
    /// One keypad digit. While an action waits for a text, digits are collected until they answer it (a code keyed in:
    /// one answer, not six turns); <c>#</c> or too many digits hand what was keyed to the model as one line.
    /// </summary>
    private void OnDigit(string digit)
    {
        string keys;
        lock (_keys)
        {
            if (!_call!.IsWaitingForReply && _keys.Length == 0)
            {
                keys = "";
            }
            else
            {
                _keys.Append(digit);
                keys = _keys.ToString();
            }
        }

        if (keys.Length == 0)
        {
            Enqueue($"[DTMF]: {digit}");
            return;
        }

        if (_call!.TryAnswerByVoice(keys))
        {
            ClearKeys();
            _logger.LogInformation("The caller keyed in {Count} digit(s) that answered the waiting action.", keys.Length);
            return;
        }

        if (_call.IsWaitingForReply && digit != "#" && keys.Length < MaxKeys)
        {
            return;
        }

        // The keys ended a wait whose action already returned, or the caller finished keying something else.
        ClearKeys();
        _call.ContinueWaitInBackground();
        Enqueue($"[DTMF]: {keys}");
    }

    private void ClearKeys()
    {
        lock (_keys)
        {
            _keys.Clear();
        }
    }

    /// <summary>Puts the start and end of each wait for a text into the trace (the simulator shows "waiting for a text").</summary>
    private void OnWaitingChanged(object? sender, EventArgs e)
    {
        var call = (CallSession)sender!;
        if (call.IsWaitingForReply)
        {
            // A wait begins inside the running turn's action (a background wait only ever ends).
            lock (_gate)
            {
                _turnInWait = _turnRunning;
            }
        }

        _trace?.Publish(call.CallId, call.IsWaitingForReply ? TraceKind.WaitStarted : TraceKind.WaitEnded,
            call.IsWaitingForReply ? "waiting for a text" : "no longer waiting for a text");
    }

    private void OnInterrupt(string? heard)
    {
        // Whatever follows is a new utterance for Twilio (and the simulator), whether or not this answer is stopped.
        _socket.EndUtterance();
        lock (_gate)
        {
            // While the turn's action waits for a text, the caller is usually talking over "I'm texting you a code": keep
            // the action waiting, since their next prompt may well be the answer. An answer given while a wait goes on
            // in the background can be interrupted like any other.
            if (!_turnRunning || _turnInWait)
            {
                return;
            }

            _heardBeforeInterrupt = heard;
            _turnCancellation?.Cancel();
        }

        _logger.LogInformation("The caller interrupted; the current answer was stopped.");
    }

    private void Enqueue(string callerLine)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _callerLines.Enqueue(callerLine);
            if (!_turnRunning)
            {
                StartTurnsLocked();
            }
        }
    }

    private void StartTurnsLocked()
    {
        _turnRunning = true;

        // A reply nudge starts turns from a webhook request: do not carry that request's context (and log scope) along.
        using (ExecutionContext.SuppressFlow())
        {
            _turns = Task.Run(RunTurnsAsync);
        }
    }

    /// <summary>Runs queued turns one after another: the chat history is touched by one turn at a time.</summary>
    private async Task RunTurnsAsync()
    {
        using var scope = CallLogScope.Begin(_logger, _call!.CallId);
        while (true)
        {
            string? line;
            CancellationTokenSource cancellation;
            lock (_gate)
            {
                if (!_callerLines.TryDequeue(out line) && !_replyNudge)
                {
                    _turnRunning = false;
                    _turnCancellation = null;
                    return;
                }

                _replyNudge = false;
                _turnInWait = false;
                _heardBeforeInterrupt = null;
                cancellation = _turnCancellation = CancellationTokenSource.CreateLinkedTokenSource(_call!.CallEnded);
            }

            var result = await _agent.RunTurnAsync(_kernel!, _call, _history, line, _socket, cancellation.Token);
            string? heard;
            lock (_gate)
            {
                _turnCancellation = null;
                heard = _heardBeforeInterrupt;
            }

            cancellation.Dispose();
            if (result.Interrupted && (heard ?? result.Said) is { Length: > 0 } spoken)
            {
                // Keep what the caller actually heard, so the model knows where it was cut off.
                _history.AddAssistantMessage(spoken);
            }
        }
    }

    private async Task EndAsync()
    {
        CallSession? call;
        Task turns;
        lock (_gate)
        {
            _ended = true;
            call = _call;
            turns = _turns;
            _callerLines.Clear();
            _replyNudge = false;
            _turnCancellation?.Cancel();
        }

        if (call is not null)
        {
            call.MessageArrived -= OnMessageArrived;
            call.WaitingForReplyChanged -= OnWaitingChanged;
            _calls.EndCall(call.CallId);
        }

        try
        {
            await turns;
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "The last turn ended with an error after the call ended.");
        }

        await _socket.CloseAsync();
        if (call is not null)
        {
            _logger.LogInformation("Call ended after {Seconds:0} s; {Messages} message(s) sent or received.",
                (DateTimeOffset.UtcNow - call.StartedAt).TotalSeconds, call.Messages.Count);
            StartAfterCallRun(call);
        }
    }

    /// <summary>
    /// The model's look back over the finished call (after-call actions only), in the background: the transcript is
    /// final, since no turn runs any more. Texts that arrived after the last turn are part of it.
    /// </summary>
    private void StartAfterCallRun(CallSession call)
    {
        var applied = call.ApplyPendingReplies(_history);
        foreach (var line in _history.Skip(_history.Count - applied))
        {
            _trace?.Publish(call.CallId, TraceKind.HistoryLine, line.Content ?? "");
        }

        // The chat service the call's turns used; a kernel like the call's, without its hang-up filter.
        _afterCall.Start(call, _history, _kernel!.GetRequiredService<IChatCompletionService>(), _agentKernel.ForCall(call));
    }
}
