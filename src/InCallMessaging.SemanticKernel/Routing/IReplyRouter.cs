namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Hands replies and delivery statuses to the instance that holds their live call, when several instances serve one
/// number behind a load balancer (the call's ConversationRelay WebSocket, waiting action and chat history live on one
/// instance; the provider posts the caller's text to any). The default is a single instance: every live call is
/// local and nothing is routed.
/// </summary>
/// <remarks>
/// The plugin tells the router which calls this instance owns (<see cref="CallStarted"/>, <see cref="CallEnded"/>) and
/// what they sent (<see cref="MessageSent"/>), and asks it to route a message whose call is not live here. A router
/// hands it to the owner durably and atomically with its deduplication (or answers <see cref="RouteResult.NotRouted"/>,
/// and this instance takes the after-call path); the owner delivers it through <see cref="IHandedOffReplyDelivery"/>.
/// </remarks>
public interface IReplyRouter
{
    /// <summary>A call started on this instance: replies to it are to come here.</summary>
    /// <param name="session">The call.</param>
    void CallStarted(CallSession session);

    /// <summary>A call of this instance ended: replies to it go to the after-call path from now on.</summary>
    /// <param name="session">The call.</param>
    void CallEnded(CallSession session);

    /// <summary>A call of this instance sent a message: replies naming it, or written in its conversation, are to come here.</summary>
    /// <param name="session">The call.</param>
    /// <param name="message">The message sent (its provider id, channel and sender).</param>
    /// <param name="conversation">The conversation it went out in.</param>
    void MessageSent(CallSession session, CallMessage message, CallerConversation conversation);

    /// <summary>
    /// An inbound message whose call is not live on this instance: hands it to the instance whose live call it belongs
    /// to, deduplicating it in the same step. Completes only once the hand-off is durable.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="conversation">The conversation it was written in.</param>
    /// <param name="cancellationToken">Cancels the hand-off.</param>
    /// <returns>Whether it was handed off, was a redelivery, or belongs to no live call anywhere.</returns>
    /// <exception cref="StateStoreException">The shared store is unreachable: the webhook answers 503.</exception>
    ValueTask<RouteResult> RouteInboundAsync(InboundMessage message, CallerConversation conversation, CancellationToken cancellationToken);

    /// <summary>A delivery status for a message no live call on this instance holds: hands it to the instance that sent it.</summary>
    /// <param name="update">The status.</param>
    /// <param name="cancellationToken">Cancels the hand-off.</param>
    /// <returns>Whether it was handed off, was a redelivery, or belongs to no live call anywhere.</returns>
    /// <exception cref="StateStoreException">The shared store is unreachable: the webhook answers 503.</exception>
    ValueTask<RouteResult> RouteStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a call that is not live in this process is live on another instance, so that what it scheduled for its
    /// end (after-call texts) must wait for that instance to end it. A single instance has no other: the default answers
    /// <see langword="false"/>.
    /// </summary>
    /// <param name="callId">The call.</param>
    /// <param name="lastKnownLive">
    /// When the call was last known to be live (a text it scheduled then): a router whose claims land behind the call's
    /// start treats a call it has never seen claimed as live for a while after this.
    /// </param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns><see langword="true"/> while another instance holds the call.</returns>
    /// <exception cref="StateStoreException">The shared store is unreachable: the caller keeps what waits and asks again later.</exception>
    ValueTask<bool> IsLiveElsewhereAsync(string callId, DateTimeOffset lastKnownLive, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}

/// <summary>What became of a message a router was asked to route.</summary>
public enum RouteResult
{
    /// <summary>No live call anywhere holds it: the instance that received it handles it (after-call path, or unmatched).</summary>
    NotRouted,

    /// <summary>Handed to the instance whose live call it belongs to, durably.</summary>
    HandedOff,

    /// <summary>A redelivery of a message already handed off.</summary>
    Duplicate,
}

/// <summary>A conversation between a caller and one sending identity on one channel: how replies find their call.</summary>
/// <param name="Channel">SMS or WhatsApp.</param>
/// <param name="CallerKey">The caller's key (<see cref="CallerKeys.Of"/>).</param>
/// <param name="SenderIdentity">The sending number (E.164) or service id.</param>
public readonly record struct CallerConversation(MessageChannel Channel, string CallerKey, string SenderIdentity);

/// <summary>
/// The owner's side of routing: a router delivers what another instance handed off into this instance's live call.
/// Registered by the plugin; a router resolves it.
/// </summary>
public interface IHandedOffReplyDelivery
{
    /// <summary>
    /// Delivers a handed-off inbound message: into its live call on this instance, or, when that call ended or is gone,
    /// to the after-call path. Idempotent on the message id (a re-read after a crash delivers nothing twice).
    /// </summary>
    /// <param name="message">The message, as the receiving instance parsed it.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    ValueTask<ReplyDeliveryOutcome> DeliverHandedOffAsync(InboundMessage message, CancellationToken cancellationToken);

    /// <summary>Applies a handed-off delivery status to the message of a call on this instance.</summary>
    /// <param name="update">The status.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    ValueTask<StatusUpdateOutcome> ApplyHandedOffStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken);
}
