using Microsoft.Extensions.Configuration;

namespace VoiceBotHost.Llm;

/// <summary>
/// Which chat completions endpoint drives the agent: any OpenAI-compatible one from <c>Llm:*</c> or the usual
/// <c>OPENAI_*</c> environment variables, else the offline demo model this host serves itself.
/// </summary>
public sealed record LlmSettings(string? ApiKey, Uri? BaseUrl, string Model, bool UseDemoModel)
{
    public const string DemoModelName = "offline-demo-model";

    /// <summary>The model used when a key or endpoint is set but <c>Llm:Model</c> / <c>OPENAI_MODEL</c> is not.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    /// <summary>The default of <see cref="Timeout"/>: a caller waits in silence meanwhile, so well under a minute.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one request to the model may take (<c>Llm:Timeout</c>) before the turn gives up and the caller hears
    /// an apology. Each attempt of the OpenAI client gets this long.
    /// </summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The HTTP client SK's OpenAI connector uses: it carries <see cref="Timeout"/>.</summary>
    public HttpClient CreateHttpClient() => new() { Timeout = Timeout };

    /// <summary>The label shown on the page and in the logs.</summary>
    public string Describe() => UseDemoModel
        ? "offline demo model (no API key configured)"
        : $"{Model} at {(BaseUrl is null ? "api.openai.com" : BaseUrl.GetLeftPart(UriPartial.Authority))}";

    public static LlmSettings From(IConfiguration configuration)
    {
        var timeout = ReadTimeout(configuration);

        // "Llm:UseDemoModel": true forces the offline model even when a key is around (the console demo does this).
        if (configuration.GetValue<bool>("Llm:UseDemoModel"))
        {
            return new(null, null, DemoModelName, UseDemoModel: true) { Timeout = timeout };
        }

        var apiKey = FirstSet(configuration["Llm:ApiKey"], Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
        var baseUrl = FirstSet(configuration["Llm:BaseUrl"], Environment.GetEnvironmentVariable("OPENAI_BASE_URL"));
        var model = FirstSet(configuration["Llm:Model"], Environment.GetEnvironmentVariable("OPENAI_MODEL"));
        if (apiKey is null && baseUrl is null)
        {
            return new(null, null, DemoModelName, UseDemoModel: true) { Timeout = timeout };
        }

        if (baseUrl is not null && !Uri.TryCreate(baseUrl, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Llm:BaseUrl (or OPENAI_BASE_URL) '{baseUrl}' is not an absolute URL such as http://localhost:11434/v1.");
        }

        // Local servers (Ollama, LM Studio, vLLM) take any key; the OpenAI client insists on one.
        return new(apiKey ?? "not-needed", baseUrl is null ? null : new Uri(baseUrl), model ?? DefaultModel, UseDemoModel: false) { Timeout = timeout };
    }

    private static TimeSpan ReadTimeout(IConfiguration configuration)
    {
        var text = configuration["Llm:Timeout"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultTimeout;
        }

        if (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var timeout)
            || timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromMinutes(10))
        {
            throw new InvalidOperationException($"Llm:Timeout '{text}' must be a time span from 00:00:01 to 00:10:00, such as 00:00:30.");
        }

        return timeout;
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
