using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio.Tests.Configuration;

public sealed class TwilioOptionsValidatorTests
{
    private const string AccountSid = "AC0123456789abcdef0123456789abcdef";

    [Fact]
    public void Every_problem_is_listed_at_once_naming_the_setting()
    {
        var options = new TwilioOptions
        {
            AccountSid = "AC12",
            AuthToken = null,
            ApiKeySid = "SKnothex",
            ApiKeySecret = null,
            ApiBaseUrl = new Uri("/relative", UriKind.Relative),
            PublicBaseUrl = new Uri("ftp://files.example.com"),
            StatusCallbackPath = "twilio/status",
            RequestTimeout = TimeSpan.Zero,
            MaxRetries = 11,
        };

        var result = new TwilioOptionsValidator().Validate(Options.DefaultName, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Collection(
            failures,
            f => Assert.StartsWith("InCallMessaging:Twilio:AccountSid must be 'AC' followed by 32 hex digits", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:ApiKeySid must be 'SK'", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:ApiKeySecret is missing", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:ApiBaseUrl must be an absolute http or https URL", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:PublicBaseUrl must be an absolute http or https URL", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:StatusCallbackPath must be a path starting with '/'", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:RequestTimeout must be more than 0", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:MaxRetries must be between 0 and 10", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_account_and_credentials_are_both_reported()
    {
        var result = new TwilioOptionsValidator().Validate(Options.DefaultName, new TwilioOptions());

        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("InCallMessaging:Twilio:AccountSid is missing", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("InCallMessaging:Twilio:AuthToken is missing", StringComparison.Ordinal) && f.Contains("ApiKeySid and ApiKeySecret", StringComparison.Ordinal));
    }

    [Fact]
    public void Secret_without_key_sid_is_reported()
    {
        var result = new TwilioOptionsValidator().Validate(null, new TwilioOptions { AccountSid = AccountSid, ApiKeySecret = "s3cret-value" });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("InCallMessaging:Twilio:ApiKeySid is missing", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Public_base_url_with_query_is_reported()
    {
        var result = new TwilioOptionsValidator().Validate(null, new TwilioOptions
        {
            AccountSid = AccountSid,
            AuthToken = "token",
            PublicBaseUrl = new Uri("https://bot.example.com/?x=1"),
        });

        Assert.Contains("PublicBaseUrl must not have a query", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void Auth_token_alone_is_valid()
    {
        var result = new TwilioOptionsValidator().Validate(null, new TwilioOptions { AccountSid = AccountSid, AuthToken = "token" });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Api_key_alone_is_valid()
    {
        var result = new TwilioOptionsValidator().Validate(null, new TwilioOptions
        {
            AccountSid = "AC0123456789ABCDEF0123456789abcdef",
            ApiKeySid = "SK0123456789ABCDEF0123456789abcdef",
            ApiKeySecret = "secret",
            PublicBaseUrl = new Uri("https://bot.example.com/voice"),
        });

        Assert.True(result.Succeeded, string.Join("\n", result.Failures ?? []));
    }

    [Fact]
    public void Defaults_are_documented_values()
    {
        var options = new TwilioOptions();

        Assert.Equal(new Uri("https://api.twilio.com"), options.ApiBaseUrl);
        Assert.Equal("/twilio/status", options.StatusCallbackPath);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout);
        Assert.Equal(2, options.MaxRetries);
        Assert.Null(options.PublicBaseUrl);
        Assert.Null(options.GetStatusCallbackUrl());
    }
}
