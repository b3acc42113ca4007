using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VoiceBotHost.Simulator;

/// <summary>What the demo model answers: spoken text, or one tool call.</summary>
public sealed record DemoAnswer(string? Text, string? ToolName = null, JsonObject? Arguments = null)
{
    public static DemoAnswer Say(string text) => new(text);
}

/// <summary>
/// The offline demo model: a few honest keyword rules, NOT a language model. It exists so the sample runs with no API
/// key while still exercising the real path (SK's OpenAI connector, tool calls, the plugin's functions, their results).
/// It reads the same OpenAI chat request a real model gets and answers with text or a tool call.
/// </summary>
public static partial class DemoModel
{
    private static readonly string[] KnownActions = ["send_otp", "collect_email", "send_payment_link", "send_summary"];

    private const string Menu =
        "I can text you a verification code, collect your email address by text, send a payment link to your WhatsApp, or text you a summary of this call. What would you like?";

    public static DemoAnswer Answer(JsonArray messages, IReadOnlyCollection<string> toolNames)
    {
        var last = messages.LastOrDefault();
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
            return ForTextedReply(reply.Groups["text"].Value.Trim(), messages);
        }

        if (said.StartsWith("[DTMF]:", StringComparison.Ordinal))
        {
            return DemoAnswer.Say($"You pressed {said["[DTMF]:".Length..].Trim()}. {Menu}");
        }

        var lower = said.ToLowerInvariant();
        if ((lower.Contains("summary") || lower.Contains("text me that") || lower.Contains("send me that")) && Find(tools, "send_summary") is { } summary)
        {
            return new DemoAnswer(null, summary, new JsonObject { ["message"] = ComposeSummary(messages) });
        }

        if ((lower.Contains("code") || lower.Contains("verif")) && Find(tools, "send_otp") is { } otp)
        {
            var code = RandomNumberGenerator.GetInt32(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture);
            return new DemoAnswer(null, otp, new JsonObject { ["otp_code"] = code });
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

    /// <summary>A text that arrived while no action was waiting for it (a late reply, or one nobody asked for).</summary>
    private static DemoAnswer ForTextedReply(string text, JsonArray messages)
    {
        var sentCode = LastArgument(messages, "send_otp", "otp_code");
        if (sentCode is not null && Digits(text) == sentCode)
        {
            return DemoAnswer.Say($"Your text just came in. Thanks, your code {sentCode} is verified.");
        }

        return text.Contains('@', StringComparison.Ordinal)
            ? DemoAnswer.Say($"Your text just came in. Thanks, I've noted your email address, {text}.")
            : DemoAnswer.Say($"I just got your text: \"{text}\". Thanks! What else can I do for you?");
    }

    private static DemoAnswer AfterTool(JsonArray messages, JsonNode toolMessage)
    {
        var (name, arguments) = FindCall(messages, (string?)toolMessage["tool_call_id"]);
        var result = ParseObject(TextOf(toolMessage));
        var status = (string?)result?["status"];
        var reply = (string?)result?["reply"] ?? "";
        var reason = (string?)result?["reason"];
        if (status is "failed" or "blocked" or "missing_values")
        {
            return DemoAnswer.Say($"Sorry, I couldn't send that text ({(reason ?? status).Replace('_', ' ')}). I can read the details to you instead.");
        }

        if (reason == "call_ended")
        {
            return DemoAnswer.Say("");
        }

        switch (ShortName(name))
        {
            case "send_otp":
                var sent = (string?)arguments?["otp_code"] ?? "";
                if (status is "replied" or "answered_by_voice")
                {
                    return Digits(reply) == sent
                        ? DemoAnswer.Say($"Thanks, your code {sent} is verified.")
                        : DemoAnswer.Say("Hmm, that doesn't match the code I sent. Would you like me to send a new one?");
                }

                return DemoAnswer.Say("I didn't get the code back, so your number isn't verified yet. If the text turns up, just reply to it. Anything else I can help with?");

            case "collect_email":
                return status is "replied" or "answered_by_voice"
                    ? DemoAnswer.Say($"Thanks, I've got your email address: {reply}.")
                    : DemoAnswer.Say("No problem. Is there anything else I can help with?");

            case "send_payment_link":
                return DemoAnswer.Say($"Done. The payment link for {(string?)arguments?["amount"] ?? "the amount due"} is on your WhatsApp. Anything else?");

            case "send_summary":
                return DemoAnswer.Say("Done, the summary is on its way to your phone. Anything else?");

            default:
                return DemoAnswer.Say("Done. Anything else?");
        }
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
            var sentCode = (string?)arguments?["otp_code"];
            switch (ShortName(name))
            {
                case "send_otp" when status is "replied" or "answered_by_voice" && Digits(reply) == sentCode:
                    facts.Add("your phone number was verified");
                    break;
                case "collect_email" when status is "replied" or "answered_by_voice":
                    facts.Add($"we noted your email {reply}");
                    break;
                case "send_payment_link" when status == "sent":
                    facts.Add($"we sent a payment link for {(string?)arguments?["amount"]} to your WhatsApp");
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

    private static string? LastArgument(JsonArray messages, string function, string argument)
    {
        string? value = null;
        foreach (var call in messages.Select(m => m?["tool_calls"]).OfType<JsonArray>().SelectMany(c => c))
        {
            if (ShortName((string?)call?["function"]?["name"]) == function)
            {
                value = (string?)ParseObject((string?)call?["function"]?["arguments"])?[argument] ?? value;
            }
        }

        return value;
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
    private static string Digits(string text)
    {
        var digits = new System.Text.StringBuilder();
        foreach (var word in SpokenWord().Matches(text.ToLowerInvariant()).Select(m => m.Value))
        {
            var index = Array.IndexOf(DigitWords, word);
            if (index >= 0)
            {
                digits.Append((char)('0' + (index % 10)));
            }
            else
            {
                digits.Append(word.Where(char.IsAsciiDigit).ToArray());
            }
        }

        return digits.ToString();
    }

    private static readonly string[] DigitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"];

    [GeneratedRegex(@"^\[(SMS|WhatsApp) Reply\]:(?<text>.*)$", RegexOptions.Singleline)]
    private static partial Regex ReplyLine();

    [GeneratedRegex(@"[a-z]+|[0-9]+")]
    private static partial Regex SpokenWord();

    [GeneratedRegex(@"\bpay")]
    private static partial Regex PayWord();

    [GeneratedRegex(@"\$?(?<value>\d+(\.\d{1,2})?)")]
    private static partial Regex Amount();
}
