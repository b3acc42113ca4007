using System.Net.Http.Headers;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio;

/// <summary>
/// Twilio's access to its reply media: a media URL on Twilio's hosts is its own and is downloaded as it is, with the
/// account's credentials on Twilio's hosts only (<see cref="TwilioMediaCredentials"/>), read per request so a reload
/// applies.
/// </summary>
internal sealed class TwilioMediaAccess(IOptionsMonitor<TwilioOptions> options) : IReplyMediaAccess
{
    public bool Owns(Uri url) => TwilioMediaCredentials.IsTwilioMediaHost(url, options.CurrentValue);

    public AuthenticationHeaderValue? AuthorizationFor(Uri url) => TwilioMediaCredentials.For(url, options.CurrentValue);
}
