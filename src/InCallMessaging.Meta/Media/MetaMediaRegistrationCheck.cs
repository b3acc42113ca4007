using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta;

/// <summary>
/// Fails start-up when the Twilio provider was added after the Meta one: Twilio's own media fetcher was then never
/// registered (the Meta fetcher already stood in its place), so Twilio's media would be fetched without the account's
/// credentials. Added with the Meta fetcher; checks the registrations as they are when the host starts.
/// </summary>
internal sealed class MetaMediaRegistrationCheck(IServiceCollection services, ServiceDescriptor metaFetcher, bool wrapsTwilio)
    : IValidateOptions<MetaWhatsAppOptions>
{
    private const string TwilioAssembly = "InCallMessaging.Twilio";

    /// <summary>Whether <paramref name="descriptor"/> was registered by the Twilio provider.</summary>
    public static bool IsTwilios(ServiceDescriptor descriptor) =>
        (descriptor.ImplementationFactory?.Method.Module.Assembly
            ?? descriptor.ImplementationType?.Assembly
            ?? descriptor.ImplementationInstance?.GetType().Assembly)?.GetName().Name == TwilioAssembly;

    public ValidateOptionsResult Validate(string? name, MetaWhatsAppOptions options)
    {
        if (wrapsTwilio || !ReferenceEquals(LastFetcher(), metaFetcher)
            || !services.Any(static d => d.ServiceType == typeof(IMessageProvider) && IsTwilios(d)))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            "AddInCallMessagingMetaWhatsApp was called before AddInCallMessagingTwilio, so IReplyMediaFetcher would fetch Twilio's media " +
            "without the account's credentials: call AddInCallMessagingMetaWhatsApp after AddInCallMessagingTwilio.");
    }

    private ServiceDescriptor? LastFetcher() =>
        services.LastOrDefault(static d => d.ServiceType == typeof(IReplyMediaFetcher) && !d.IsKeyedService);
}
