namespace InCallMessaging.SemanticKernel;

/// <summary>The single-instance router: every live call is local, so nothing is ever routed.</summary>
internal sealed class LocalReplyRouter : IReplyRouter
{
    public static readonly LocalReplyRouter Instance = new();

    public void CallStarted(CallSession session)
    {
    }

    public void CallEnded(CallSession session)
    {
    }

    public void MessageSent(CallSession session, CallMessage message, CallerConversation conversation)
    {
    }

    public ValueTask<RouteResult> RouteInboundAsync(InboundMessage message, CallerConversation conversation, CancellationToken cancellationToken) =>
        ValueTask.FromResult(RouteResult.NotRouted);

    public ValueTask<RouteResult> RouteStatusAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken) =>
        ValueTask.FromResult(RouteResult.NotRouted);
}
