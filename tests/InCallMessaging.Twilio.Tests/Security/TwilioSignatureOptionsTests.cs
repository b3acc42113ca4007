using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio.Tests.Security;

/// <summary>The signature settings, separate from the sending settings and filled from them by default.</summary>
public sealed class TwilioSignatureOptionsTests
{
    private const string AccountSid = "AC0123456789abcdef0123456789abcdef";

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(TwilioSignatureOptions.SectionName);

    [Fact]
    public void One_section_sets_sending_and_signature_options()
    {
        var section = Section(new()
        {
            ["InCallMessaging:Twilio:AccountSid"] = AccountSid,
            ["InCallMessaging:Twilio:AuthToken"] = "token",
            ["InCallMessaging:Twilio:PublicBaseUrl"] = "https://bot.example.com",
            ["InCallMessaging:Twilio:AlternatePublicBaseUrls:0"] = "https://old.example.com",
            ["InCallMessaging:Twilio:AlternatePublicBaseUrls:1"] = "https://older.example.com/bot",
        });
        using var services = new ServiceCollection().AddInCallMessagingTwilio(section).BuildServiceProvider();

        var signature = services.GetRequiredService<IOptions<TwilioSignatureOptions>>().Value;

        services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(TwilioOptions.SectionName, TwilioSignatureOptions.SectionName);
        Assert.Equal("token", signature.AuthToken);
        Assert.Equal(new Uri("https://bot.example.com"), signature.PublicBaseUrl);
        Assert.Equal([new Uri("https://old.example.com"), new Uri("https://older.example.com/bot")], signature.AlternatePublicBaseUrls);
    }

    [Fact]
    public void Sending_options_set_in_code_fill_the_signature_options()
    {
        using var services = new ServiceCollection()
            .AddInCallMessagingTwilio(o => (o.AccountSid, o.AuthToken, o.PublicBaseUrl) = (AccountSid, "token", new Uri("https://bot.example.com")))
            .BuildServiceProvider();

        var signature = services.GetRequiredService<IOptions<TwilioSignatureOptions>>().Value;

        Assert.Equal("token", signature.AuthToken);
        Assert.Equal(new Uri("https://bot.example.com"), signature.PublicBaseUrl);
        Assert.Empty(signature.AlternatePublicBaseUrls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Signature_options_set_explicitly_win_in_either_order(bool signatureFirst)
    {
        var services = new ServiceCollection();
        void Signature() => services.AddTwilioSignatureValidation(o => (o.AuthToken, o.PublicBaseUrl) = ("webhook-token", new Uri("https://hooks.example.com")));
        void Sending() => services.AddInCallMessagingTwilio(o => (o.AccountSid, o.AuthToken, o.PublicBaseUrl) = (AccountSid, "rest-token", new Uri("https://bot.example.com")));
        if (signatureFirst)
        {
            Signature();
            Sending();
        }
        else
        {
            Sending();
            Signature();
        }

        using var provider = services.BuildServiceProvider();
        var signature = provider.GetRequiredService<IOptions<TwilioSignatureOptions>>().Value;
        var sending = provider.GetRequiredService<IOptions<TwilioOptions>>().Value;

        Assert.Equal("webhook-token", signature.AuthToken);
        Assert.Equal(new Uri("https://hooks.example.com"), signature.PublicBaseUrl);
        Assert.Equal("rest-token", sending.AuthToken);
        Assert.Equal(new Uri("https://bot.example.com"), sending.PublicBaseUrl);
    }

    [Fact]
    public void Signature_validation_alone_binds_its_section_and_needs_no_account()
    {
        var section = Section(new()
        {
            ["InCallMessaging:Twilio:AuthToken"] = "token",
            ["InCallMessaging:Twilio:PublicBaseUrl"] = "https://bot.example.com/voice",
        });
        using var services = new ServiceCollection().AddTwilioSignatureValidation(section).BuildServiceProvider();

        services.GetRequiredService<IStartupValidator>().Validate();
        var signature = services.GetRequiredService<IOptions<TwilioSignatureOptions>>().Value;

        Assert.Equal("token", signature.AuthToken);
        Assert.Equal(new Uri("https://bot.example.com/voice"), signature.PublicBaseUrl);
        Assert.Empty(services.GetServices<IValidateOptions<TwilioOptions>>());
    }

    [Fact]
    public void Every_signature_problem_is_listed_at_start_up()
    {
        using var services = new ServiceCollection()
            .AddTwilioSignatureValidation(o =>
            {
                o.AuthToken = " ";
                o.PublicBaseUrl = new Uri("ftp://bot.example.com");
                o.AlternatePublicBaseUrls.Add(new Uri("https://old.example.com/?x=1"));
                o.AlternatePublicBaseUrls.Add(new Uri("https://fine.example.com"));
                o.AlternatePublicBaseUrls.Add(new Uri("/relative", UriKind.Relative));
            })
            .BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Collection(failure.Failures,
            f => Assert.StartsWith("InCallMessaging:Twilio:AuthToken is blank", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:PublicBaseUrl 'ftp://bot.example.com' must be an absolute http or https URL", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:AlternatePublicBaseUrls:0 'https://old.example.com/?x=1' must not have a query", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Twilio:AlternatePublicBaseUrls:2 '/relative' must be an absolute", f, StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_public_base_url_in_the_shared_section_is_reported_once()
    {
        var section = Section(new()
        {
            ["InCallMessaging:Twilio:AccountSid"] = AccountSid,
            ["InCallMessaging:Twilio:AuthToken"] = "token",
            ["InCallMessaging:Twilio:PublicBaseUrl"] = "https://bot.example.com/?tenant=1",
        });
        using var services = new ServiceCollection().AddInCallMessagingTwilio(section).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(typeof(TwilioOptions), failure.OptionsType);
        Assert.Contains("PublicBaseUrl must not have a query", Assert.Single(failure.Failures), StringComparison.Ordinal);
        Assert.Null(services.GetRequiredService<IOptions<TwilioSignatureOptions>>().Value.PublicBaseUrl);
    }
}
