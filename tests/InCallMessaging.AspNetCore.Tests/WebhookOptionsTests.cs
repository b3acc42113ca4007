using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Tests;

public sealed class WebhookOptionsTests
{
    [Fact]
    public void Defaults_are_documented_values()
    {
        var options = new WebhookOptions();

        Assert.Equal(64 * 1024, options.MaxBodyBytes);
        Assert.Equal("X-InCallMessaging-Signature", options.CustomProviderSignatureHeader);
        Assert.Null(options.CustomProviderSecret);
        Assert.Null(options.PublicBaseUrl);
    }

    [Fact]
    public void Binds_from_a_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["InCallMessaging:Webhooks:PublicBaseUrl"] = "https://bot.example.com",
            ["InCallMessaging:Webhooks:MaxBodyBytes"] = "8192",
            ["InCallMessaging:Webhooks:CustomProviderSecret"] = "a-long-enough-shared-secret",
            ["InCallMessaging:Webhooks:CustomProviderSignatureHeader"] = "X-Signature",
        }).Build();
        using var services = new ServiceCollection().AddInCallMessagingWebhooks(configuration.GetSection(WebhookOptions.SectionName)).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<WebhookOptions>>().Value;

        Assert.Equal(new Uri("https://bot.example.com"), options.PublicBaseUrl);
        Assert.Equal(8192, options.MaxBodyBytes);
        Assert.Equal("a-long-enough-shared-secret", options.CustomProviderSecret);
        Assert.Equal("X-Signature", options.CustomProviderSignatureHeader);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        using var services = new ServiceCollection().AddInCallMessagingWebhooks(o =>
        {
            o.PublicBaseUrl = new Uri("ftp://bot.example.com");
            o.MaxBodyBytes = 10;
            o.CustomProviderSecret = "short";
            o.CustomProviderSignatureHeader = " ";
        }).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<WebhookOptions>>().Value);

        Assert.Equal(4, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("PublicBaseUrl", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxBodyBytes", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("CustomProviderSecret", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("CustomProviderSignatureHeader", StringComparison.Ordinal));
    }
}
