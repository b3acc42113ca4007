namespace InCallMessaging.SemanticKernel;

/// <summary>The plugin's configuration: actions, senders and guards. Bound from the <c>InCallMessaging</c> section.</summary>
public sealed class InCallMessagingOptions
{
    /// <summary>The configuration section this binds from by default.</summary>
    public const string SectionName = "InCallMessaging";

    /// <summary>The plugin name the functions are grouped under (the LLM sees <c>{PluginName}-{action}</c>).</summary>
    /// <value>The default value is <c>messaging</c>.</value>
    public string PluginName { get; set; } = "messaging";

    /// <summary>The plugin description.</summary>
    public string PluginDescription { get; set; } = "Sends the caller text messages (SMS or WhatsApp) during the live call.";

    /// <summary>The configured actions; each becomes one kernel function.</summary>
    public List<InCallMessageAction> Actions { get; set; } = [];

    /// <summary>The configured senders by name; actions refer to them through <see cref="InCallMessageAction.Sender"/>.</summary>
    public Dictionary<string, MessageSenderOptions> Senders { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The call variables the host supplies, so templates may use them (e.g. <c>user_name</c>): as metadata when the call
    /// starts (<see cref="ICallSessionRegistry.StartCall"/>) or later with <see cref="CallSession.SetVariable"/>. A template
    /// that uses one whose value is not set when the action runs sends nothing and asks the model to collect it.
    /// </summary>
    /// <remarks>The built-in variables (<see cref="CallVariables"/>) and each action's reply variable need no declaration.</remarks>
    public List<string> Variables { get; set; } = [];

    /// <summary>The earlier name of <see cref="Variables"/>; names listed here are read as if listed there.</summary>
    public List<string> MetadataKeys { get; set; } = [];

    /// <summary>Who an action with a templated recipient may text besides the caller (countries, number types, how many).</summary>
    public RecipientPolicyOptions RecipientPolicy { get; set; } = new();

    /// <summary>The most messages one call may send; further sends are blocked with a clear result.</summary>
    /// <value>The default value is 5.</value>
    public int MaxMessagesPerCall { get; set; } = 5;

    /// <summary>An identical text to the same recipient within this window is suppressed (an LLM stuck in a loop).</summary>
    /// <value>The default value is 2 minutes.</value>
    public TimeSpan DuplicateSuppressionWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an ended call stays findable so a late reply is still attributed to it.</summary>
    /// <value>The default value is 24 hours.</value>
    public TimeSpan EndedCallRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often ended calls past their retention are evicted.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan EvictionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often after-call texts still waiting for an ended call are looked for and sent: texts of a call whose instance
    /// stopped and did not come back (with a store shared by several instances), or whose send at the call's end could
    /// not start (the store was down). Each is sent at most once, whichever instance finds it.
    /// </summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan ScheduledTextSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long webhook deliveries are remembered for deduplication.</summary>
    /// <value>The default value is 24 hours.</value>
    public TimeSpan DeduplicationRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How many webhook deliveries the in-memory deduplication store makes room for at start-up: a busy host's
    /// deliveries per <see cref="DeduplicationRetention"/>. 0 lets the store grow as deliveries arrive; each time its
    /// tables fill they are copied into larger ones, which shows as extra garbage collection until the store reaches its
    /// steady size (about 44 bytes per remembered delivery, reserved up front when this is set).
    /// </summary>
    /// <value>The default value is 0.</value>
    public int DeduplicationCapacity { get; set; }

    /// <summary>The longest reply text kept; longer texts are cut with an ellipsis (caller texts are untrusted).</summary>
    /// <value>The default value is 1,000 characters.</value>
    public int MaxReplyLength { get; set; } = 1000;

    /// <summary>
    /// The most received messages one call keeps in <see cref="CallSession.Messages"/>. A caller who floods the call
    /// with texts cannot grow it without bound: past the limit the oldest received message leaves the log (it was
    /// delivered already; <see cref="CallSession.RepliesReceived"/> still counts it). Sent messages are bounded by
    /// <see cref="MaxMessagesPerCall"/>.
    /// </summary>
    /// <value>The default value is 50.</value>
    public int MaxReceivedMessagesPerCall { get; set; } = 50;

    /// <summary>
    /// The most reply lines queued for a call's chat history between two turns. Past the limit the oldest line is
    /// dropped, a warning is logged and <c>incall_messaging.replies.lines_dropped</c> counts it; the reply variables
    /// and waiting actions still get every reply.
    /// </summary>
    /// <value>The default value is 10.</value>
    public int MaxPendingReplyLines { get; set; } = 10;

    /// <summary>
    /// Whether a reply's transcript line shows each attachment's URL (<c>[image/jpeg attachment: https://...]</c>) rather
    /// than only its type (<c>[image/jpeg attachment]</c>). Provider media URLs may need the provider's credentials to
    /// open (Twilio's do when the account requires it); the URLs are always in the waiting action's result, the
    /// <c>{reply variable}_media</c> variable and <see cref="CallSession.Messages"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool MediaUrlsInTranscript { get; set; }

    /// <summary>Limits of <see cref="IReplyMediaFetcher"/>, which downloads a reply's attachments for the host.</summary>
    public ReplyMediaOptions Media { get; set; } = new();

    /// <summary>What the message log keeps (texts, numbers) and for how long.</summary>
    public StateOptions State { get; set; } = new();

    /// <summary>Whether phone numbers and message texts are masked in logs and traces.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool MaskPersonalData { get; set; } = true;

    /// <summary>A shallow copy of these options with <paramref name="actions"/> in place of <see cref="Actions"/> (a call's own action set).</summary>
    internal InCallMessagingOptions WithActions(List<InCallMessageAction> actions)
    {
        var copy = (InCallMessagingOptions)MemberwiseClone();
        copy.Actions = actions;
        return copy;
    }
}
