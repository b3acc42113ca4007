namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Speaks a sentence into the live call (text-to-speech on the voice channel). The host implements it, for example on
/// Twilio ConversationRelay by sending a <c>text</c> message on the call's WebSocket.
/// </summary>
public interface ICallSpeech
{
    /// <summary>Speaks <paramref name="text"/> to the caller.</summary>
    /// <param name="text">One or more sentences.</param>
    /// <param name="cancellationToken">Cancels the speech.</param>
    ValueTask SpeakAsync(string text, CancellationToken cancellationToken);
}
