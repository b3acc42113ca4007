namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Handles a reply that arrives after its call ended, so a caller who texts back is never met with silence
/// (for example: create a ticket, send an automatic answer, notify an agent).
/// </summary>
public interface IAfterCallReplyHandler
{
    /// <summary>Called once per late reply, after it has been recorded on the ended session.</summary>
    /// <param name="session">The ended call the reply belongs to.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken);
}
