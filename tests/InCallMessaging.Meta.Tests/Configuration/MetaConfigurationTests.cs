using InCallMessaging.Meta.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta.Tests.Configuration;

/// <summary>Start-up checks: every problem at once, each naming the setting and the fix.</summary>
public sealed class MetaConfigurationTests
{
    [Fact]
    public void Options_bind_from_configuration_and_every_problem_is_listed_at_once()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["InCallMessaging:Meta:GraphApiVersion"] = "24",
            ["InCallMessaging:Meta:DefaultTemplateLanguage"] = "English",
            ["InCallMessaging:Meta:MaxRetries"] = "9",
        }).Build().GetSection(MetaWhatsAppOptions.SectionName);
        using var services = new ServiceCollection().AddInCallMessagingMetaWhatsApp(section).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value);

        Assert.Collection(error.Failures,
            f => Assert.StartsWith("InCallMessaging:Meta:AccessToken is missing", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Meta:GraphApiVersion '24' must be", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Meta:DefaultTemplateLanguage 'English' must be", f, StringComparison.Ordinal),
            f => Assert.StartsWith("InCallMessaging:Meta:MaxRetries must be between 0 and 5", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Valid_options_bind_with_the_pinned_defaults()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["InCallMessaging:Meta:AccessToken"] = "EAAG-token",
            ["InCallMessaging:Meta:RequestTimeout"] = "00:00:05",
        }).Build().GetSection(MetaWhatsAppOptions.SectionName);
        using var services = new ServiceCollection().AddInCallMessagingMetaWhatsApp(section).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value;

        Assert.Equal("EAAG-token", options.AccessToken);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RequestTimeout);
        Assert.Equal("v24.0", options.GraphApiVersion);
        Assert.Equal(new Uri("https://graph.facebook.com"), options.ApiBaseUrl);
    }

    [Fact]
    public async Task Senders_and_actions_on_Meta_are_checked_with_the_plugins_other_rules()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MetaTestHost.StartAsync(p =>
        {
            p.Senders["whatsapp"].ServiceId = null;
            p.Senders["broken"] = new MessageSenderOptions { Provider = "Meta", From = MetaTestHost.BusinessNumber, ServiceId = "+14155550199" };
            p.Actions.Add(new InCallMessageAction
            {
                Name = "send_mixed",
                Description = "Sends a template.",
                Channel = MessageChannel.WhatsApp,
                Sender = "whatsapp",
                Template = new WhatsAppTemplate { TemplateId = "Order-Ready", Variables = { ["1"] = "a", ["first_name"] = "b", ["3"] = "c", ["footer.text"] = "d" } },
            });
            p.Actions.Add(new InCallMessageAction { Name = "send_sms", Description = "Texts the caller.", Sender = "whatsapp", Body = "hi" });
        }));

        var failures = string.Join("\n", error.Failures);
        Assert.Contains("Sender 'whatsapp': ServiceId is missing: set it to the WhatsApp phone number ID", failures, StringComparison.Ordinal);
        Assert.Contains("Sender 'broken': ServiceId '+14155550199' must be the WhatsApp phone number ID, digits only", failures, StringComparison.Ordinal);
        Assert.Contains("TemplateId 'Order-Ready' must be the approved template's name", failures, StringComparison.Ordinal);
        Assert.Contains("Template variable key 'footer.text' is not one Meta templates take", failures, StringComparison.Ordinal);
        Assert.Contains("Template mixes numbered and named variables", failures, StringComparison.Ordinal);
        Assert.Contains("number them \"1\" to \"2\" without gaps", failures, StringComparison.Ordinal);
        Assert.Contains("Action 'send_sms': Channel must be WhatsApp: the Meta provider sends WhatsApp messages only", failures, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_the_webhook_without_its_secrets_fails_naming_both()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddInCallMessaging(_ => { });
        builder.Services.AddInCallMessagingMetaWhatsApp(o => o.AccessToken = "EAAG-token");
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapMetaWhatsAppWebhook("/meta"));

        Assert.Contains("InCallMessaging:Meta:AppSecret is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("InCallMessaging:Meta:VerifyToken is missing", error.Message, StringComparison.Ordinal);
    }
}
