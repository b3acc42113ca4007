using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore.Tests.DependencyInjection;

public sealed class WebhookServiceRegistrationTests
{
    [Fact]
    public void Adding_the_webhooks_twice_registers_one_validator_and_applies_both_settings()
    {
        using var services = new ServiceCollection()
            .AddInCallMessagingWebhooks(o => o.MaxBodyBytes = 8192)
            .AddInCallMessagingWebhooks(o => o.CustomProviderSecret = "a-long-enough-shared-secret")
            .BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<WebhookOptions>>().Value;

        Assert.Single(services.GetServices<IValidateOptions<WebhookOptions>>().OfType<WebhookOptionsValidator>());
        Assert.Equal(8192, options.MaxBodyBytes);
        Assert.Equal("a-long-enough-shared-secret", options.CustomProviderSecret);
    }

    [Fact]
    public void A_host_wired_twice_has_the_same_services_and_keeps_its_own_registration()
    {
        var services = new ServiceCollection();
        var mine = new MyReplyMediaFetcher();
        services.AddSingleton<IReplyMediaFetcher>(mine);
        Wire(services);
        var once = Snapshot(services);

        Wire(services);
        using var provider = services.BuildServiceProvider();

        Assert.Equal(once, Snapshot(services));
        Assert.Same(mine, provider.GetRequiredService<IReplyMediaFetcher>());
        Assert.Single(provider.GetServices<IMessageProvider>(), p => p.Name == "Twilio");

        static void Wire(IServiceCollection services) => services
            .AddInCallMessaging(_ => { })
            .AddInCallMessagingTwilio(t => (t.AccountSid, t.AuthToken) = ("AC0123456789abcdef0123456789abcdef", "token"))
            .AddTwilioSignatureValidation(_ => { })
            .AddInCallMessagingWebhooks();

        // Every service with its implementation, except the options set-up delegates each call adds by design.
        static string Snapshot(IServiceCollection services) => string.Join("\n", services
            .Where(d => !d.ServiceType.IsGenericType || d.ServiceType.GetGenericTypeDefinition() is var g
                && g != typeof(IConfigureOptions<>) && g != typeof(IPostConfigureOptions<>))
            .Select(d => $"{d.ServiceType} {d.ImplementationType}"));
    }

    private sealed class MyReplyMediaFetcher : IReplyMediaFetcher
    {
        public Task<FetchedMedia> FetchAsync(InboundMedia media, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
