namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Hears every delivery status that reaches a message of a call (<c>sent</c>, <c>delivered</c>, <c>read</c>,
/// <c>failed</c>, <c>undelivered</c>, ...), for example to start an agent turn when a text fails, or to record
/// delivery in a CRM. Register with <c>services.AddMessageStatusHandler&lt;T&gt;()</c>.
/// </summary>
public interface IMessageStatusHandler
{
    /// <summary>Called once per status applied to a message (statuses that arrive late or twice are not applied).</summary>
    /// <param name="status">The call, the message and the status.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    Task HandleStatusAsync(MessageStatusEvent status, CancellationToken cancellationToken);
}

/// <summary>A delivery status applied to one message of a call.</summary>
/// <param name="Session">The call the message belongs to (it may have ended).</param>
/// <param name="Message">The message, with its <see cref="CallMessage.Status"/> already updated.</param>
/// <param name="Update">The status as the provider reported it.</param>
/// <param name="TranscriptLine">The line queued for the call's chat history, or <see langword="null"/> when none was.</param>
public sealed record MessageStatusEvent(CallSession Session, CallMessage Message, DeliveryStatusUpdate Update, string? TranscriptLine);
