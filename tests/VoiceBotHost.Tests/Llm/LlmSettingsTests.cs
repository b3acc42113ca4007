using Microsoft.Extensions.Configuration;
using VoiceBotHost.Llm;

namespace VoiceBotHost.Tests.Llm;

public sealed class LlmSettingsTests
{
    private static LlmSettings From(params (string Key, string Value)[] settings) =>
        LlmSettings.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void A_key_without_a_model_name_uses_the_default_model_and_the_default_timeout()
    {
        var llm = From(("Llm:ApiKey", "sk-test"));

        Assert.False(llm.UseDemoModel);
        // OPENAI_MODEL, when the machine sets it, is the documented fallback before the default.
        Assert.Equal(Environment.GetEnvironmentVariable("OPENAI_MODEL") is { Length: > 0 } model ? model : "gpt-4o-mini", llm.Model);
        Assert.Equal(TimeSpan.FromSeconds(30), llm.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), llm.CreateHttpClient().Timeout);
    }

    [Fact]
    public void Llm_Timeout_sets_the_connectors_http_timeout()
    {
        var llm = From(("Llm:BaseUrl", "http://localhost:11434/v1"), ("Llm:Timeout", "00:00:05"));

        using var http = llm.CreateHttpClient();
        Assert.Equal(TimeSpan.FromSeconds(5), http.Timeout);
    }

    [Theory]
    [InlineData("forever")]
    [InlineData("00:00:00")]
    [InlineData("01:00:00")]
    public void A_timeout_out_of_range_names_the_setting_and_the_accepted_range(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => From(("Llm:Timeout", value)));

        Assert.Equal($"Llm:Timeout '{value}' must be a time span from 00:00:01 to 00:10:00, such as 00:00:30.", error.Message);
    }
}
