namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Where an outbound message is on its way to the caller, in the library's own terms. Each provider maps its status
/// words to these (the Twilio package maps Twilio's <c>MessageStatus</c>); the library orders them so a late or repeated
/// report never moves a message backwards.
/// </summary>
public enum DeliveryState
{
    /// <summary>Not known: no report yet, a word the provider does not map, or a send whose outcome is unknown.</summary>
    Unknown = 0,

    /// <summary>Accepted by the provider and waiting to go out (also: accepted by a messaging service, or scheduled).</summary>
    Queued,

    /// <summary>Being handed to the carrier.</summary>
    Sending,

    /// <summary>Handed to the carrier.</summary>
    Sent,

    /// <summary>Canceled before it went out.</summary>
    Canceled,

    /// <summary>Some parts of a multi-part message arrived, others did not.</summary>
    PartiallyDelivered,

    /// <summary>The carrier could not deliver it.</summary>
    Undelivered,

    /// <summary>It could not be sent.</summary>
    Failed,

    /// <summary>It reached the caller's phone.</summary>
    Delivered,

    /// <summary>The caller opened it (WhatsApp read receipts).</summary>
    Read,
}
