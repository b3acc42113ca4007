using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace VoiceBotHost.Agent;

/// <summary>
/// The agent's system prompt: the files of <c>prompts/</c> named in <c>VoiceBot:SystemPromptFiles</c>, read once at
/// start-up (a missing file fails the start, not the first call), plus one line of facts about the call.
/// </summary>
public sealed class SystemPrompt
{
    private readonly string _text;
    private readonly string _welcomeGreeting;

    public SystemPrompt(VoiceBotSettings settings)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "prompts");
        var parts = new List<string>();
        foreach (var file in settings.SystemPromptFiles)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"VoiceBot:SystemPromptFiles names '{file}', but {path} does not exist. Add the file to prompts/ or remove it from the list.");
            }

            parts.Add(File.ReadAllText(path).Trim());
        }

        _text = parts.Count > 0 ? string.Join("\n\n", parts) : "You are a helpful voice assistant on a phone call.";
        _welcomeGreeting = settings.WelcomeGreeting;
    }

    /// <summary>
    /// A call's history to start from: the prompt, then the greeting Twilio spoke from the TwiML, so the model knows
    /// what the caller has already heard.
    /// </summary>
    public ChatHistory NewHistory(CallSession call)
    {
        var history = new ChatHistory(For(call));
        if (!string.IsNullOrWhiteSpace(_welcomeGreeting))
        {
            history.AddAssistantMessage(_welcomeGreeting);
        }

        return history;
    }

    /// <summary>The prompt for one call. Only the last digits of the caller's number: the model needs no more.</summary>
    public string For(CallSession call)
    {
        var digits = new string(call.CallerNumber.Where(char.IsAsciiDigit).ToArray());
        var ending = digits.Length >= 4 ? digits[^4..] : "unknown";
        return $"{_text}\n\n## This call\nThe caller is calling from a number ending in {ending}; texts go to that number.";
    }
}
