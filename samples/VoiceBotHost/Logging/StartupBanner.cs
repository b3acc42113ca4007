using VoiceBotHost.Llm;

namespace VoiceBotHost.Logging;

/// <summary>
/// What the host prints once it listens: the model, the messaging mode and, as the very last line, where to go next
/// (the call simulator's URL offline, the webhook URLs with Twilio). It goes through the console logger, after every
/// line logged while starting, so nothing lands in the middle of it or after it.
/// </summary>
public static class StartupBanner
{
    /// <summary>The logging category <see cref="ShortConsoleFormatter"/> writes without a prefix.</summary>
    public const string Category = "VoiceBotHost.Banner";

    public static void Print(WebApplication app) =>
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category).LogInformation("{Banner}", Text(app));

    public static string Text(WebApplication app)
    {
        var settings = app.Services.GetRequiredService<VoiceBotSettings>();
        var llm = app.Services.GetRequiredService<LlmSettings>();
        var lines = new List<string> { "" };
        lines.Add(llm.UseDemoModel
            ? "  LLM: offline demo model, a few keyword rules and not an LLM (set OPENAI_API_KEY for a real model)"
            : $"  LLM: {llm.Describe()}");
        if (settings.Offline)
        {
            lines.Add("  Messaging: offline (loopback provider, development-only Twilio token)");
            lines.Add("  Press Ctrl+C to stop.");
            lines.Add($"  Call simulator: {VoiceBotApp.SimulatorUrl(app)}");
        }
        else
        {
            var publicBase = settings.PublicBaseUrl?.ToString().TrimEnd('/') ?? "https://<your public URL>";
            lines.Add("  Messaging: Twilio");
            lines.Add("  Press Ctrl+C to stop.");
            lines.Add($"  Voice webhook:     {publicBase}/voice/incoming");
            lines.Add($"  Messaging webhook: {publicBase}/twilio/messages");
        }

        return string.Join(Environment.NewLine, lines);
    }
}
