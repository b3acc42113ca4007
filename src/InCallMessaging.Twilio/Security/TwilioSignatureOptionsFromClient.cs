using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio;

/// <summary>
/// Fills the signature options from the sending options (<see cref="TwilioOptions"/>) where they are not set, so one
/// <c>InCallMessaging:Twilio</c> section, or one <c>AddInCallMessagingTwilio(options =&gt; ...)</c>, configures both.
/// </summary>
/// <remarks>
/// The sending options are set up here without their validation: when they are wrong, their own start-up check names
/// the problem, and a <see cref="TwilioOptions.PublicBaseUrl"/> that is not usable is not copied, so it is reported once.
/// </remarks>
internal sealed class TwilioSignatureOptionsFromClient(
    IEnumerable<IConfigureOptions<TwilioOptions>> setups,
    IEnumerable<IPostConfigureOptions<TwilioOptions>> postConfigures) : IConfigureNamedOptions<TwilioSignatureOptions>
{
    public void Configure(TwilioSignatureOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, TwilioSignatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new OptionsFactory<TwilioOptions>(setups, postConfigures).Create(name ?? Options.DefaultName);
        if (string.IsNullOrEmpty(options.AuthToken))
        {
            options.AuthToken = client.AuthToken;
        }

        if (options.PublicBaseUrl is null && client.PublicBaseUrl is { } publicBaseUrl && TwilioSignatureOptionsValidator.IsUsable(publicBaseUrl))
        {
            options.PublicBaseUrl = publicBaseUrl;
        }
    }
}
