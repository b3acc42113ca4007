using Microsoft.Extensions.Configuration;

namespace VoiceBotHost.Llm;

/// <summary>
/// Which chat completions endpoint drives the agent: any OpenAI-compatible one from <c>Llm:*</c> or the usual
/// <c>OPENAI_*</c> environment variables, else the offline demo model this host serves itself.
/// </summary>
public sealed record LlmSettings(string? ApiKey, Uri? BaseUrl, string Model, bool UseDemoModel)
{
    public const string DemoModelName = "offline-demo-model";

    /// <summary>The label shown on the page and in the logs.</summary>
    public string Describe() => UseDemoModel
        ? "offline demo model (no API key configured)"
        : $"{Model} at {(BaseUrl is null ? "api.openai.com" : BaseUrl.GetLeftPart(UriPartial.Authority))}";

    public static LlmSettings From(IConfiguration configuration)
    {
        // "Llm:UseDemoModel": true forces the offline model even when a key is around (the console demo does this).
        if (configuration.GetValue<bool>("Llm:UseDemoModel"))
        {
            return new(null, null, DemoModelName, UseDemoModel: true);
        }

        var apiKey = FirstSet(configuration["Llm:ApiKey"], Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
        var baseUrl = FirstSet(configuration["Llm:BaseUrl"], Environment.GetEnvironmentVariable("OPENAI_BASE_URL"));
        var model = FirstSet(configuration["Llm:Model"], Environment.GetEnvironmentVariable("OPENAI_MODEL"));
        if (apiKey is null && baseUrl is null)
        {
            return new(null, null, DemoModelName, UseDemoModel: true);
        }

        if (baseUrl is not null && !Uri.TryCreate(baseUrl, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Llm:BaseUrl (or OPENAI_BASE_URL) '{baseUrl}' is not an absolute URL such as http://localhost:11434/v1.");
        }

        // Local servers (Ollama, LM Studio, vLLM) take any key; the OpenAI client insists on one.
        return new(apiKey ?? "not-needed", baseUrl is null ? null : new Uri(baseUrl), model ?? "gpt-4o-mini", UseDemoModel: false);
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
