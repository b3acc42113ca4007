namespace VoiceBotHost;

/// <summary>The host's own settings (section <c>VoiceBot</c>, plus the root <c>PublicBaseUrl</c>).</summary>
public sealed class VoiceBotSettings
{
    public const string SectionName = "VoiceBot";

    /// <summary>Spoken by Twilio when the call connects (the <c>welcomeGreeting</c> attribute).</summary>
    public string WelcomeGreeting { get; set; } = "Hello! How can I help?";

    /// <summary>Files under <c>prompts/</c> joined into the system prompt, in order.</summary>
    public List<string> SystemPromptFiles { get; set; } = [];

    /// <summary>Extra attributes of the <c>&lt;ConversationRelay&gt;</c> noun (voice, language, ...).</summary>
    public Dictionary<string, string> ConversationRelayAttributes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// When a text reply reaches a call while the line is quiet, give the agent a turn to react to it, instead of
    /// waiting until the caller speaks again. Either way the reply is in the next LLM request.
    /// </summary>
    public bool NudgeOnIdleReply { get; set; } = true;

    /// <summary>
    /// The in-call messaging action that texts a one-time code. The server makes a fresh code before each send (the
    /// SMS template reads it from the <c>otp_code</c> call variable) and checks the caller's answer itself; the model
    /// never sees the code.
    /// </summary>
    public string OneTimeCodeAction { get; set; } = "send_otp";

    /// <summary>
    /// How long the model may take, once a call has ended, to decide on and send its after-call texts (actions with
    /// <c>"When": "AfterCall"</c>, such as the booking confirmation); past it the run is stopped and logged.
    /// </summary>
    public TimeSpan AfterCallTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The public base URL Twilio reaches this host at; null when Twilio calls the host directly (or never).</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// True while the host runs on the development token: texts go to the loopback provider and the call simulator,
    /// with its signing endpoints, is served. Never true with real Twilio credentials.
    /// </summary>
    public bool Offline { get; set; }
}
