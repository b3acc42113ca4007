namespace InCallMessaging.SemanticKernel;

/// <summary>
/// One configured in-call messaging action. Each action becomes one kernel function named <see cref="Name"/> whose
/// <see cref="Description"/> tells the LLM when to call it.
/// </summary>
/// <remarks>Bound from the items of <c>InCallMessaging:Actions</c>, or built in code.</remarks>
public sealed class InCallMessageAction
{
    /// <summary>The default wait for a reply.</summary>
    public static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The shortest allowed <see cref="ReplyTimeout"/>.</summary>
    public static readonly TimeSpan MinReplyTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The longest allowed <see cref="ReplyTimeout"/>.</summary>
    public static readonly TimeSpan MaxReplyTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The default <see cref="DelayThreshold"/>.</summary>
    public static readonly TimeSpan DefaultDelayThreshold = TimeSpan.FromSeconds(2);

    /// <summary>The shortest allowed <see cref="DelayThreshold"/>.</summary>
    public static readonly TimeSpan MinDelayThreshold = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest allowed <see cref="DelayThreshold"/>.</summary>
    public static readonly TimeSpan MaxDelayThreshold = TimeSpan.FromSeconds(60);

    /// <summary>The sentence spoken when a wait times out and no <see cref="FallbackMessage"/> is set.</summary>
    public const string DefaultFallbackMessage = "I haven't received your text yet. No problem, let's continue.";

    /// <summary>The function name (letters, digits, <c>_</c> and <c>-</c>; plugin name + 1 + name at most 64 characters).</summary>
    public string Name { get; set; } = "";

    /// <summary>When the LLM should call this action. Required: it is what makes the model use it.</summary>
    public string Description { get; set; } = "";

    /// <summary>SMS or WhatsApp.</summary>
    /// <value>The default value is <see cref="MessageChannel.Sms"/>.</value>
    public MessageChannel Channel { get; set; } = MessageChannel.Sms;

    /// <summary>
    /// When the text is sent: <see cref="ActionTiming.DuringCall"/>, or <see cref="ActionTiming.AfterCall"/> (a follow-up
    /// text scheduled during the call and sent once the call ends). An after-call action cannot wait for a reply.
    /// </summary>
    /// <value>The default value is <see cref="ActionTiming.DuringCall"/>.</value>
    public ActionTiming When { get; set; } = ActionTiming.DuringCall;

    /// <summary>The name of a configured sender (a key of <see cref="InCallMessagingOptions.Senders"/>).</summary>
    /// <value>The default value is <c>default</c>.</value>
    public string Sender { get; set; } = "default";

    /// <summary>
    /// The message template: <c>&lt;name&gt;</c> placeholders and Scriban <c>{{ ... }}</c> expressions. When empty (and no
    /// WhatsApp <see cref="Template"/> is set) the function gets a required <c>message</c> parameter and the LLM writes the text.
    /// </summary>
    public string? Body { get; set; }

    /// <summary>Parameters the LLM collects before calling, shaped like a JSON Schema object.</summary>
    public ActionParameters? Parameters { get; set; }

    /// <summary>
    /// A template for the recipient. When unset the caller's number is used. The LLM can only choose a recipient
    /// through a parameter this template uses.
    /// </summary>
    public string? ToPhoneNumber { get; set; }

    /// <summary>
    /// A sentence spoken to the caller just before the message is sent, e.g. "I'm texting you the link now." A template
    /// like <see cref="Body"/>. It is spoken only once every check has passed, so a send that is blocked says nothing of it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: nothing is said.</value>
    public string? MessageBeforeAction { get; set; }

    /// <summary>
    /// A sentence spoken to the caller when the send fails or is blocked, e.g. "Sorry, I couldn't text you; let me read it
    /// out instead." A template like <see cref="Body"/>. Keep it free of technical reasons: the model still gets the
    /// JSON result with the reason and decides what to do next. Not spoken when arguments are missing or invalid (the
    /// model asks the caller then), nor when the call has already ended.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: nothing is said.</value>
    public string? MessageOnFailure { get; set; }

    /// <summary>
    /// A sentence spoken once when the messaging provider has not answered within <see cref="DelayThreshold"/>, e.g.
    /// "It's taking a moment to go through." A template like <see cref="Body"/>. The send goes on meanwhile.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: nothing is said.</value>
    public string? MessageOnDelay { get; set; }

    /// <summary>How long the provider may take to answer before <see cref="MessageOnDelay"/> is spoken (100 milliseconds to 60 seconds).</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan DelayThreshold { get; set; } = DefaultDelayThreshold;

    /// <summary>Whether the function waits for the caller's text reply before returning.</summary>
    public bool WaitForReply { get; set; }

    /// <summary>How long to wait for a reply (1 second to 10 minutes).</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan ReplyTimeout { get; set; } = DefaultReplyTimeout;

    /// <summary>The sentence spoken when the wait times out.</summary>
    /// <value>The default value is <see cref="DefaultFallbackMessage"/>.</value>
    public string? FallbackMessage { get; set; }

    /// <summary>
    /// A regular expression a spoken or keyed answer must contain to answer the wait, such as <c>[0-9]{6}</c> for a
    /// six-digit code. It is searched in the caller's words, and in their letters and digits run together, so
    /// "It's 4 8 2, 9 1 3." matches. Words that do not match ("hold on", another request) leave the wait running: see
    /// <see cref="CallSession.TryAnswerByVoice"/> and <see cref="CallSession.ContinueWaitInBackground"/>. A texted
    /// reply always answers. Only with <see cref="WaitForReply"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: any words answer the wait.</value>
    public string? ReplyPattern { get; set; }

    /// <summary>
    /// A sentence spoken every <see cref="ReminderInterval"/> while the action waits for the caller's text, e.g. "Take
    /// your time, I'm still here; text me the code when it arrives." Spoken as written. Only with <see cref="WaitForReply"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the line stays quiet until the reply or the fallback.</value>
    public string? ReminderMessage { get; set; }

    /// <summary>How long the wait goes before each <see cref="ReminderMessage"/> (1 second up to, not including, <see cref="ReplyTimeout"/>).</summary>
    /// <value>The default value is <see langword="null"/>: half of <see cref="ReplyTimeout"/>.</value>
    public TimeSpan? ReminderInterval { get; set; }

    /// <summary>The call variable the reply is stored in.</summary>
    /// <value>The default value is <c>sms_reply</c> for SMS and <c>whatsapp_reply</c> for WhatsApp.</value>
    public string? ReplyVariable { get; set; }

    /// <summary>
    /// The delivery statuses of this action's messages that put a line into the call's chat history, such as
    /// <c>[SMS Status]: the text from send_summary was not delivered (30003: the phone is unreachable).</c>, so the agent
    /// learns of a late failure. Status words: <c>sent</c>, <c>delivered</c>, <c>read</c>, <c>failed</c>, <c>undelivered</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: failures only (<c>failed</c> and <c>undelivered</c>).</value>
    public List<string>? StatusLines { get; set; }

    /// <summary>For WhatsApp: the approved Content template used outside the 24-hour window (or always, when there is no body).</summary>
    public WhatsAppTemplate? Template { get; set; }

    /// <summary>
    /// Media URL templates attached to the message (MMS and free-form WhatsApp; a Content template carries its own
    /// media). Each must render to an absolute <c>https://</c> URL, or nothing is sent and the model gets
    /// <c>invalid_arguments</c>; one that renders empty attaches nothing. At most 10, and at most 1 on WhatsApp.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public List<string> MediaUrls { get; set; } = [];

    /// <summary>The reply variable in force: <see cref="ReplyVariable"/> or the channel's default.</summary>
    public string EffectiveReplyVariable =>
        string.IsNullOrWhiteSpace(ReplyVariable) ? CallVariables.DefaultReplyVariable(Channel) : ReplyVariable;
}

/// <summary>A WhatsApp Content template: an approved SID and the templates of its numbered variables.</summary>
public sealed class WhatsAppTemplate
{
    /// <summary>The approved template's id in the provider's terms (Twilio: the Content SID, <c>HX</c> followed by 32 hex digits); the provider checks its shape.</summary>
    public string TemplateId { get; set; } = "";

    /// <summary>Variable templates keyed "1", "2", ... (or by name, for a provider whose templates take named parameters); each may use placeholders like the body.</summary>
    public Dictionary<string, string> Variables { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The parameters of an action, shaped like a JSON Schema object (<c>{"properties": {...}, "required": [...]}</c>) so
/// they bind from configuration.
/// </summary>
public sealed class ActionParameters
{
    /// <summary>Always <c>object</c>; present so a JSON Schema object binds unchanged.</summary>
    public string Type { get; set; } = "object";

    /// <summary>The parameters by name.</summary>
    public Dictionary<string, ActionParameter> Properties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The names of the parameters the LLM must supply.</summary>
    public List<string> Required { get; set; } = [];
}

/// <summary>
/// One parameter of an action, as a JSON Schema property. The model's value reaches templates typed: a boolean as
/// <c>true</c>/<c>false</c> (so <c>{{ if wants_survey }}</c> works), numbers as numbers, arrays as lists and objects
/// with their fields (<c>{{ address.city }}</c>). Every constraint set here is checked before anything is said or sent.
/// </summary>
public sealed class ActionParameter
{
    /// <summary>The JSON Schema type: <c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c> or <c>object</c>.</summary>
    /// <value>The default value is <c>string</c>.</value>
    public string Type { get; set; } = "string";

    /// <summary>What the value is and how to collect it; shown to the LLM.</summary>
    public string? Description { get; set; }

    /// <summary>Allowed values, if restricted (written as text; sent to the model typed as <see cref="Type"/>).</summary>
    public List<string> Enum { get; set; } = [];

    /// <summary>A regular expression a string value must match somewhere (anchor it with <c>^...$</c> for the whole value).</summary>
    public string? Pattern { get; set; }

    /// <summary>The fewest characters (Unicode code points) a string value may have.</summary>
    public int? MinLength { get; set; }

    /// <summary>The most characters (Unicode code points) a string value may have.</summary>
    public int? MaxLength { get; set; }

    /// <summary>The smallest value an integer or number may have.</summary>
    public double? Minimum { get; set; }

    /// <summary>The largest value an integer or number may have.</summary>
    public double? Maximum { get; set; }

    /// <summary>For an <c>array</c>: what each item is.</summary>
    public ActionParameter? Items { get; set; }

    /// <summary>For an <c>array</c>: the fewest items.</summary>
    public int? MinItems { get; set; }

    /// <summary>For an <c>array</c>: the most items.</summary>
    public int? MaxItems { get; set; }

    /// <summary>For an <c>object</c>: its fields by name.</summary>
    public Dictionary<string, ActionParameter> Properties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>For an <c>object</c>: the fields the model must fill in.</summary>
    public List<string> Required { get; set; } = [];
}
