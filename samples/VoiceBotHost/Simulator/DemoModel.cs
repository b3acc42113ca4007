using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VoiceBotHost.Agent;

namespace VoiceBotHost.Simulator;

/// <summary>What the demo model answers: spoken text, or one tool call.</summary>
public sealed record DemoAnswer(string? Text, string? ToolName = null, JsonObject? Arguments = null)
{
    public static DemoAnswer Say(string text) => new(text);
}

/// <summary>
/// The offline demo model: a few honest keyword rules, NOT a language model. It exists so the sample runs with no API
/// key while still exercising the real path (SK's OpenAI connector, tool calls, the plugin's functions, their results).
/// It reads the same OpenAI chat request a real model gets and answers with text or a tool call. Like a real model on
/// this sample, it never makes or judges a one-time code: <c>send_otp</c> goes out with no code (the server makes one),
/// and a code the caller gives back later goes to <c>verification-check_code</c>, which the server answers. After the
/// call (a system message once the conversation has begun: the after-call run's instruction) it texts the booking
/// confirmation when the transcript shows a technician visit booked, and does nothing otherwise.
/// </summary>
public static partial class DemoModel
{
    private static readonly string[] KnownActions =
        ["send_otp", "collect_email", "send_payment_link", "send_summary", "check_code", "book_technician_visit", "send_booking_confirmation"];

    private const string Menu =
        "I can text you a verification code, collect your email address by text, send a payment link to your WhatsApp, book a technician visit, or text you a summary of this call. What would you like?";

    public static DemoAnswer Answer(JsonArray messages, IReadOnlyCollection<string> toolNames)
    {
        var last = messages.LastOrDefault();
        if (IsAfterCall(messages))
        {
            return AfterCall(messages, last, toolNames);
        }

        return (string?)last?["role"] switch
        {
            "tool" => AfterTool(messages, last!),
            "user" => ForCaller(TextOf(last!), messages, toolNames),
            _ => DemoAnswer.Say(Menu),
        };
    }

    private static DemoAnswer ForCaller(string said, JsonArray messages, IReadOnlyCollection<string> tools)
    {
        var reply = ReplyLine().Match(said);
        if (reply.Success)
        {
            return ForTextedReply(reply.Groups["text"].Value.Trim(), messages, tools);
        }

        // A code given back by voice or keypad after the wait stepped aside: the server checks it, never this model.
        var codeOutstanding = CodeOutstanding(messages);
        if (codeOutstanding && Digits(said).Length == 6 && Find(tools, "check_code") is { } check)
        {
            return new DemoAnswer(null, check, new JsonObject { ["code"] = said.StartsWith("[DTMF]:", StringComparison.Ordinal) ? said["[DTMF]:".Length..].Trim() : said });
        }

        if (said.StartsWith("[DTMF]:", StringComparison.Ordinal))
        {
            return DemoAnswer.Say($"You pressed {said["[DTMF]:".Length..].Trim()}. {Menu}");
        }

        var lower = said.ToLowerInvariant();
        if (HoldOn().IsMatch(lower))
        {
            return DemoAnswer.Say(codeOutstanding
                ? "Sure, take your time. I'm still waiting for the code; text it back or type it on your keypad when it arrives."
                : "Sure, take your time.");
        }

        if ((lower.Contains("summary") || lower.Contains("text me that") || lower.Contains("send me that")) && Find(tools, "send_summary") is { } summary)
        {
            return new DemoAnswer(null, summary, new JsonObject { ["message"] = ComposeSummary(messages) });
        }

        if ((lower.Contains("code") || lower.Contains("verif")) && Find(tools, "send_otp") is { } otp)
        {
            // No code in the arguments: the server makes it and checks the answer.
            return new DemoAnswer(null, otp, []);
        }

        if (lower.Contains("email") && Find(tools, "collect_email") is { } email)
        {
            return new DemoAnswer(null, email, []);
        }

        if (PayWord().IsMatch(lower) && Find(tools, "send_payment_link") is { } payment)
        {
            var amount = Amount().Match(said);
            var value = amount.Success ? "$" + decimal.Parse(amount.Groups["value"].Value, CultureInfo.InvariantCulture).ToString("0.00", CultureInfo.InvariantCulture) : "$49.00";
            return new DemoAnswer(null, payment, new JsonObject { ["amount"] = value });
        }

        if (BookWord().IsMatch(lower) && Booking(messages) is { } booked)
        {
            // Booked already: no second visit, and the confirmation is the after-call text's job.
            return DemoAnswer.Say($"Your visit is booked for {(string?)booked["window"]}, reference {(string?)booked["reference"]}. "
                + "I'll text you the confirmation after our call. Anything else?");
        }

        if (BookWord().IsMatch(lower) && Find(tools, "book_technician_visit") is { } book)
        {
            return new DemoAnswer(null, book, []);
        }

        if (lower.Contains("thank"))
        {
            return DemoAnswer.Say("You're welcome! Is there anything else I can help with?");
        }

        if (lower.Contains("bye"))
        {
            return DemoAnswer.Say("Thanks for calling Acme. Goodbye!");
        }

        return DemoAnswer.Say(Menu);
    }

    /// <summary>
    /// Whether this request is the look-back after the call: a system message (the after-call instruction) after the
    /// conversation began. During a call the only system message is the prompt at the start.
    /// </summary>
    private static bool IsAfterCall(JsonArray messages) =>
        messages.SkipWhile(m => (string?)m?["role"] == "system").Any(m => (string?)m?["role"] == "system");

    /// <summary>
    /// After the call nobody listens, so it never talks: it texts the booking confirmation if a visit was booked on the
    /// call (and it is on offer), once, and otherwise does nothing.
    /// </summary>
    private static DemoAnswer AfterCall(JsonArray messages, JsonNode? last, IReadOnlyCollection<string> tools)
    {
        if ((string?)last?["role"] == "system" && Booking(messages) is not null && Find(tools, "send_booking_confirmation") is { } confirm)
        {
            // No arguments: the text reads the booking the server recorded on the call.
            return new DemoAnswer(null, confirm, []);
        }

        return DemoAnswer.Say("");
    }

    /// <summary>The technician visit booked on the call, if any: the last <c>book_technician_visit</c> result with status <c>booked</c>.</summary>
    private static JsonObject? Booking(JsonArray messages) =>
        messages.Where(m => (string?)m?["role"] == "tool" && ShortName(FindCall(messages, (string?)m["tool_call_id"]).Name) == "book_technician_visit")
            .Select(m => ParseObject(TextOf(m!)))
            .LastOrDefault(result => (string?)result?["status"] == "booked");

    /// <summary>A text that arrived while no action was waiting for it (a late reply, or one nobody asked for).</summary>
    private static DemoAnswer ForTextedReply(string text, JsonArray messages, IReadOnlyCollection<string> tools)
    {
        if (CodeOutstanding(messages) && Digits(text).Length == 6 && Find(tools, "check_code") is { } check)
        {
            return new DemoAnswer(null, check, new JsonObject { ["code"] = text });
        }

        switch (text.ToUpperInvariant())
        {
            case "STOP" or "UNSUBSCRIBE" or "CANCEL" or "END" or "QUIT" or "STOPALL":
                return DemoAnswer.Say("Understood, I won't text you any more. If you change your mind, text START to this number.");
            case "START" or "UNSTOP" or "YES":
                return DemoAnswer.Say("Thanks, texts are back on. What would you like me to send you?");
        }

        return text.Contains('@', StringComparison.Ordinal)
            ? DemoAnswer.Say($"Your text just came in. Thanks, I've noted your email address, {text}.")
            : DemoAnswer.Say($"I just got your text: \"{text}\". Thanks! What else can I do for you?");
    }

    /// <summary>Whether a code was texted on this call and the server has not yet verified it (or voided it).</summary>
    private static bool CodeOutstanding(JsonArray messages)
    {
        var outstanding = false;
        foreach (var message in messages)
        {
            if (message?["tool_calls"] is JsonArray calls && calls.Any(c => ShortName((string?)c?["function"]?["name"]) == "send_otp"))
            {
                outstanding = true;
            }
            else if ((string?)message?["role"] == "tool" && CodeVerdict(ParseObject(TextOf(message!))) is "verified" or "too_many_attempts" or "no_code")
            {
                outstanding = false;
            }
        }

        return outstanding;
    }

    /// <summary>The server's verdict on a code, from a check_code result or a send_otp result's code_check.</summary>
    private static string? CodeVerdict(JsonObject? result) =>
        (string?)result?["code_check"]?["status"] ?? ((string?)result?["status"] is "verified" or "no_match" or "too_many_attempts" or "no_code" ? (string?)result?["status"] : null);

    private static DemoAnswer ForVerdict(string? verdict, bool justTexted) => verdict switch
    {
        "verified" => DemoAnswer.Say(justTexted ? "Your text just came in. Thanks, you're verified." : "Thanks, you're verified."),
        "no_match" => DemoAnswer.Say("That code doesn't match the one I texted you. Please check the text and give it to me again."),
        "too_many_attempts" => DemoAnswer.Say("That didn't match again, so that code no longer works. Would you like me to text you a new one?"),
        _ => DemoAnswer.Say("I don't have a code waiting for you right now. Would you like me to text you one?"),
    };

    /// <summary>
    /// What the caller hears when a text could not go out: the reason in plain words, and what they can do about it.
    /// Never a reason code, and never an offer to read a one-time code aloud.
    /// </summary>
    private static string Failure(string? reason, string? action)
    {
        var otp = action == "send_otp";
        var instead = otp ? "We can verify you another time." : "I can go over the details with you now instead.";
        return reason switch
        {
            "opted_out" => "You've opted out of texts from us, so I can't text you. If you'd like them again, text START to the number you're calling, then ask me again.",
            "duplicate" => "I've already sent you that text a moment ago, so I won't send it twice. Please check your messages.",
            "may_have_been_sent" => "That text may already be on its way to you. Could you check whether it arrived?",
            "message_limit" => $"I've sent as many texts as I can on one call. {instead}",
            "invalid_recipient" or "not_mobile" => $"The number you're calling from can't receive texts; it may be a landline. If you call back from a mobile, I can text you. {instead}",
            "region_not_supported" => $"I'm not able to text numbers in your country. {instead}",
            "not_on_whatsapp" => $"Your number doesn't seem to be on WhatsApp, so I couldn't send it there. {instead}",
            "undelivered" => "The text didn't reach your phone. Please check that it's switched on and can receive texts, and I can try again.",
            "missing_values" or "invalid_arguments" => "I need a little more information before I can send that. What would you like it to say?",
            _ => $"Our texting service isn't working right this moment. Let's try again in a minute, or {(otp ? "we can verify you another time." : "I can go over the details with you now.")}",
        };
    }

    private static DemoAnswer AfterTool(JsonArray messages, JsonNode toolMessage)
    {
        var (name, arguments) = FindCall(messages, (string?)toolMessage["tool_call_id"]);
        var result = ParseObject(TextOf(toolMessage));
        var status = (string?)result?["status"];
        var reply = (string?)result?["reply"] ?? "";
        var reason = (string?)result?["reason"];
        if (reason == "call_ended" || status == "waiting")
        {
            // Nobody to talk to, or the caller's other words come next and get their own answer.
            return DemoAnswer.Say("");
        }

        if (status is "failed" or "blocked" or "missing_values" or "invalid_arguments")
        {
            return DemoAnswer.Say(Failure(reason ?? status, ShortName(name)));
        }

        switch (ShortName(name))
        {
            case "check_code":
                return ForVerdict(CodeVerdict(result), justTexted: PreviousUserLine(messages, toolMessage)?.StartsWith("[SMS Reply]:", StringComparison.Ordinal) == true);

            case "send_otp":
                if (status is "replied" or "answered_by_voice")
                {
                    return ForVerdict(CodeVerdict(result), justTexted: false);
                }

                return DemoAnswer.Say("I didn't get the code back, so you're not verified yet. If the text turns up, just reply to it. Anything else I can help with?");

            case "collect_email":
                return status is "replied" or "answered_by_voice"
                    ? DemoAnswer.Say($"Thanks, I've got your email address: {reply}.")
                    : DemoAnswer.Say("No problem. Is there anything else I can help with?");

            case "send_payment_link":
                return DemoAnswer.Say($"Done. The payment link for {(string?)arguments?["amount"] ?? "the amount due"} is on your WhatsApp. Anything else?");

            case "send_summary":
                return DemoAnswer.Say("Done, the summary is on its way to your phone. Anything else?");

            case "book_technician_visit" when status == "booked":
                return DemoAnswer.Say($"You're booked: a technician will come on {(string?)result?["window"]}. Your booking reference is "
                    + $"{(string?)result?["reference"]}. I'll text you the confirmation after our call. Anything else?");

            case "book_technician_visit":
                return DemoAnswer.Say("Sorry, I couldn't book the visit just now. Please try again in a moment.");

            default:
                return DemoAnswer.Say("Done. Anything else?");
        }
    }

    /// <summary>The last user line before <paramref name="toolMessage"/>.</summary>
    private static string? PreviousUserLine(JsonArray messages, JsonNode toolMessage)
    {
        string? line = null;
        foreach (var message in messages)
        {
            if (ReferenceEquals(message, toolMessage))
            {
                break;
            }

            if ((string?)message?["role"] == "user")
            {
                line = TextOf(message!);
            }
        }

        return line;
    }

    /// <summary>Writes the summary from what the tool results in the conversation say happened.</summary>
    private static string ComposeSummary(JsonArray messages)
    {
        var facts = new List<string>();
        foreach (var message in messages.Where(m => (string?)m?["role"] == "tool"))
        {
            var (name, arguments) = FindCall(messages, (string?)message!["tool_call_id"]);
            var result = ParseObject(TextOf(message));
            var status = (string?)result?["status"];
            var reply = (string?)result?["reply"] ?? "";
            switch (ShortName(name))
            {
                case "send_otp" or "check_code" when CodeVerdict(result) == "verified":
                    facts.Add("your phone number was verified");
                    break;
                case "collect_email" when status is "replied" or "answered_by_voice":
                    facts.Add($"we noted your email {reply}");
                    break;
                case "send_payment_link" when status == "sent":
                    facts.Add($"we sent a payment link for {(string?)arguments?["amount"]} to your WhatsApp");
                    break;
                case "book_technician_visit" when status == "booked":
                    facts.Add($"a technician visit is booked for {(string?)result?["window"]}");
                    break;
            }
        }

        return facts.Count == 0
            ? "Acme call summary: thanks for calling today. Reply to this text if you need anything else."
            : $"Acme call summary: {string.Join("; ", facts)}. Reply to this text if you have any questions.";
    }

    private static (string? Name, JsonObject? Arguments) FindCall(JsonArray messages, string? callId)
    {
        foreach (var message in messages)
        {
            if (message?["tool_calls"] is not JsonArray calls)
            {
                continue;
            }

            foreach (var call in calls)
            {
                if ((string?)call?["id"] == callId)
                {
                    return ((string?)call?["function"]?["name"], ParseObject((string?)call?["function"]?["arguments"]));
                }
            }
        }

        return (null, null);
    }

    /// <summary>The offered tool for an action, whatever the plugin prefix (<c>messaging-send_otp</c>).</summary>
    private static string? Find(IReadOnlyCollection<string> tools, string action) =>
        tools.FirstOrDefault(t => ShortName(t) == action);

    /// <summary>The action a tool name stands for: <c>messaging-send_otp</c> (SK) or <c>messaging_send_otp</c> (M.E.AI).</summary>
    private static string? ShortName(string? tool) =>
        tool is null ? null : KnownActions.FirstOrDefault(a => tool == a || tool.EndsWith("-" + a, StringComparison.Ordinal) || tool.EndsWith("_" + a, StringComparison.Ordinal)) ?? tool;

    private static string TextOf(JsonNode message) => message["content"] switch
    {
        JsonValue value => (string?)value ?? "",
        JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
        _ => "",
    };

    private static JsonObject? ParseObject(string? json)
    {
        try
        {
            return string.IsNullOrWhiteSpace(json) ? null : JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The digits in a text or in spoken words ("four eight two" counts as 482).</summary>
    private static string Digits(string text) => SpokenDigits.Of(text);

    [GeneratedRegex(@"^\[(SMS|WhatsApp) Reply\]:(?<text>.*)$", RegexOptions.Singleline)]
    private static partial Regex ReplyLine();

    [GeneratedRegex(@"\b(hold on|one (moment|sec|second|minute)|just a (moment|sec|second|minute)|give me a (moment|sec|second|minute)|wait a)")]
    private static partial Regex HoldOn();

    [GeneratedRegex(@"\b(technician|engineer|appointment|book)")]
    private static partial Regex BookWord();

    [GeneratedRegex(@"\bpay")]
    private static partial Regex PayWord();

    [GeneratedRegex(@"\$?(?<value>\d+(\.\d{1,2})?)")]
    private static partial Regex Amount();
}
