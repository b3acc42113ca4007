using InCallMessaging.SemanticKernel;

namespace VoiceBotHost.Simulator;

/// <summary>Section <c>Simulator</c>: how WhatsApp Content templates look on the simulated phone.</summary>
public sealed class SimulatorSettings
{
    public const string SectionName = "Simulator";

    /// <summary>Template texts by TemplateId, with Twilio's <c>{{1}}</c>-style variables.</summary>
    public Dictionary<string, string> ContentTemplates { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The template as the caller's phone would show it; unknown templates are shown by SID and variables.</summary>
    public string Render(WhatsAppContent content)
    {
        if (!ContentTemplates.TryGetValue(content.TemplateId, out var text))
        {
            return $"[template {content.TemplateId}] " + string.Join(", ", content.Variables.Select(v => $"{{{{{v.Key}}}}} = {v.Value}"));
        }

        foreach (var (key, value) in content.Variables)
        {
            text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        }

        return text;
    }
}
