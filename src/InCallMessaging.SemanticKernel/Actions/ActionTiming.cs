namespace InCallMessaging.SemanticKernel;

/// <summary>When an action's text is sent: during the call, or once the call has ended.</summary>
public enum ActionTiming
{
    /// <summary>Sent as soon as the model calls the action (the default).</summary>
    DuringCall,

    /// <summary>
    /// Sent after the call: called during the call, the text is rendered with the values known then and scheduled (the
    /// model gets <c>scheduled</c>), then sent once when the call ends, however it ends. Offered again, alone, by
    /// <see cref="InCallMessagingRuntime.RunAfterCallAsync"/>, which sends at once.
    /// </summary>
    AfterCall,
}
