using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio.Tests.Extensions;

public sealed class InCallMessagingTwilioServiceCollectionExtensionsTests
{
    [Fact]
    public void Binds_options_from_the_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["InCallMessaging:Twilio:AccountSid"] = "AC0123456789abcdef0123456789abcdef",
            ["InCallMessaging:Twilio:AuthToken"] = "token",
            ["InCallMessaging:Twilio:ApiBaseUrl"] = "http://127.0.0.1:4010",
            ["InCallMessaging:Twilio:PublicBaseUrl"] = "https://bot.example.com",
            ["InCallMessaging:Twilio:StatusCallbackPath"] = "/hooks/status",
            ["InCallMessaging:Twilio:RequestTimeout"] = "00:00:05",
            ["InCallMessaging:Twilio:MaxRetries"] = "1",
        }).Build();
        using var services = new ServiceCollection()
            .AddInCallMessagingTwilio(configuration.GetSection(TwilioOptions.SectionName))
            .BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<TwilioOptions>>().Value;

        Assert.Equal("AC0123456789abcdef0123456789abcdef", options.AccountSid);
        Assert.Equal(new Uri("http://127.0.0.1:4010"), options.ApiBaseUrl);
        Assert.Equal("https://bot.example.com/hooks/status", options.GetStatusCallbackUrl());
        Assert.Equal(TimeSpan.FromSeconds(5), options.RequestTimeout);
        Assert.Equal(1, options.MaxRetries);
        Assert.Equal("Twilio", Assert.Single(services.GetServices<IMessageProvider>()).Name);
    }

    [Fact]
    public void Invalid_options_fail_at_start_with_every_problem()
    {
        using var services = new ServiceCollection()
            .AddInCallMessagingTwilio(options =>
            {
                options.AccountSid = "nope";
                options.MaxRetries = -1;
            })
            .BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(3, failure.Failures.Count());
        Assert.Contains(failure.Failures, f => f.Contains("AccountSid", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("AuthToken", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("MaxRetries", StringComparison.Ordinal));
    }

    [Fact]
    public void Adding_twice_registers_one_provider()
    {
        using var services = new ServiceCollection()
            .AddInCallMessagingTwilio(options =>
            {
                options.AccountSid = "AC0123456789abcdef0123456789abcdef";
                options.AuthToken = "token";
            })
            .AddInCallMessagingTwilio(options => options.MaxRetries = 1)
            .BuildServiceProvider();

        Assert.Single(services.GetServices<IMessageProvider>());
        Assert.Single(services.GetServices<IValidateOptions<TwilioOptions>>().OfType<TwilioOptionsValidator>());
        Assert.Equal(1, services.GetRequiredService<IOptions<TwilioOptions>>().Value.MaxRetries);
        Assert.NotNull(services.GetRequiredService<IHttpClientFactory>().CreateClient("InCallMessaging.Twilio"));
    }
}
