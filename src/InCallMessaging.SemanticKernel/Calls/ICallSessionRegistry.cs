namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Starts, ends and finds call sessions. The in-memory default holds one host's calls; ended calls stay findable for
/// <see cref="InCallMessagingOptions.EndedCallRetention"/> so late replies are still attributed to them.
/// </summary>
public interface ICallSessionRegistry
{
    /// <summary>Starts a call session, or returns the live one with the same id (a reconnecting media stream).</summary>
    /// <param name="callId">The call's id (Twilio CallSid).</param>
    /// <param name="callerNumber">The caller's number; E.164 is expected and normalized.</param>
    /// <param name="agentNumber">The agent's (called) number.</param>
    /// <param name="metadata">Values known at call start (for example <c>user_name</c>); templates may use the declared keys.</param>
    CallSession StartCall(string callId, string callerNumber, string? agentNumber = null, IReadOnlyDictionary<string, string>? metadata = null);

    /// <summary>Ends a call: its waits are cancelled and later replies go to the after-call handlers.</summary>
    /// <returns><see langword="true"/> when a live call was ended.</returns>
    bool EndCall(string callId);

    /// <summary>Finds a live or recently ended call by id.</summary>
    CallSession? Find(string callId);

    /// <summary>
    /// Finds the call that most recently texted <paramref name="caller"/> from <paramref name="senderName"/> on
    /// <paramref name="channel"/> (a live one first), else the live call whose caller is <paramref name="caller"/>.
    /// </summary>
    CallSession? FindByConversation(MessageChannel channel, string caller, string senderName);

    /// <summary>Finds the call that sent the message with this provider id.</summary>
    CallSession? FindByMessageId(string messageId);

    /// <summary>
    /// Records a message a call sent, so <see cref="FindByMessageId"/> and <see cref="FindByConversation"/> find the
    /// call when the reply or a status update arrives. The plugin calls it after each accepted send, and again when a
    /// message whose send outcome was unknown is named by a status callback.
    /// </summary>
    /// <param name="session">The call that sent the message.</param>
    /// <param name="message">The outbound message, with its provider id.</param>
    void IndexOutbound(CallSession session, CallMessage message);

    /// <summary>The number of live calls.</summary>
    int ActiveCount { get; }

    /// <summary>The number of calls held, live and ended.</summary>
    int Count { get; }
}
