namespace InCallMessaging.SemanticKernel;

/// <summary>
/// What callers told each sending identity: opt-outs (STOP ... until START) and the time of their last inbound WhatsApp
/// message, which opens WhatsApp's 24-hour free-form window. Kept per (caller, sending identity), where the identity is
/// the sender's number or service id (not its configuration name), so renaming a sender loses nothing.
/// </summary>
/// <remarks>
/// Callers are named by their <see cref="CallerKeys">caller key</see> (a one-way key of the E.164 number), never by the
/// number itself. The in-memory default forgets everything on restart; a durable store (SQLite, Redis) keeps it.
/// </remarks>
public interface IConsentStore
{
    /// <summary>Reads the caller's consent towards one sending identity.</summary>
    /// <param name="callerKey">The caller's key (<see cref="CallerKeys.Of"/>).</param>
    /// <param name="senderIdentity">The sending number (E.164) or service id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>What is known; <see cref="ConsentRecord"/>'s default when nothing is.</returns>
    ValueTask<ConsentRecord> GetAsync(string callerKey, string senderIdentity, CancellationToken cancellationToken = default);

    /// <summary>Records an opt-out (<paramref name="optedOut"/> true) or an opt-in.</summary>
    /// <param name="callerKey">The caller's key.</param>
    /// <param name="senderIdentity">The sending number (E.164) or service id.</param>
    /// <param name="optedOut">Whether the caller is now opted out.</param>
    /// <param name="at">When the caller said so.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> when this changed the caller's state.</returns>
    ValueTask<bool> SetOptedOutAsync(string callerKey, string senderIdentity, bool optedOut, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records an inbound WhatsApp message, which opens (or extends) the 24-hour window.</summary>
    /// <param name="callerKey">The caller's key.</param>
    /// <param name="senderIdentity">The sending number (E.164) or service id the caller wrote to.</param>
    /// <param name="at">When it arrived; a later time than the one kept replaces it, an earlier one does not.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RecordWhatsAppInboundAsync(string callerKey, string senderIdentity, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>A caller's consent towards one sending identity.</summary>
/// <param name="OptedOut">Whether the caller opted out (and has not opted back in).</param>
/// <param name="LastWhatsAppInbound">When the caller last wrote on WhatsApp, if ever.</param>
public readonly record struct ConsentRecord(bool OptedOut, DateTimeOffset? LastWhatsAppInbound);
