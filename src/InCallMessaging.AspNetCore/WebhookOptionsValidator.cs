using Microsoft.Extensions.Options;

namespace InCallMessaging.AspNetCore;

/// <summary>Checks <see cref="WebhookOptions"/> at start-up and lists every problem at once.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    /// <summary>The smallest body limit allowed: a Twilio webhook with a long text is a few KB.</summary>
    public const long MinBodyBytes = 1024;

    /// <summary>The largest body limit allowed: bodies are buffered in memory, and no webhook comes near it.</summary>
    public const long MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>Twilio's read timeout: an answer later than this makes Twilio send the message again.</summary>
    public static readonly TimeSpan TwilioTimeout = TimeSpan.FromSeconds(15);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var errors = new List<string>();
        if (options.PublicBaseUrl is { } baseUrl
            && (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(baseUrl.Query) || !string.IsNullOrEmpty(baseUrl.Fragment)))
        {
            errors.Add($"InCallMessaging:Webhooks:PublicBaseUrl '{baseUrl.OriginalString}' must be an absolute http(s) URL without query or fragment, such as 'https://bot.example.com'.");
        }

        if (options.MaxBodyBytes is < MinBodyBytes or > MaxBodyBytes)
        {
            errors.Add($"InCallMessaging:Webhooks:MaxBodyBytes is {options.MaxBodyBytes}; it must be between {MinBodyBytes} and {MaxBodyBytes}.");
        }

        if (options.MaxDeliveryWait <= TimeSpan.Zero || options.MaxDeliveryWait >= TwilioTimeout)
        {
            errors.Add($"InCallMessaging:Webhooks:MaxDeliveryWait is {options.MaxDeliveryWait}; it must be more than 0 and less than Twilio's 15-second timeout, such as 00:00:05.");
        }

        if (string.IsNullOrWhiteSpace(options.CustomProviderSignatureHeader))
        {
            errors.Add("InCallMessaging:Webhooks:CustomProviderSignatureHeader must name a header, such as 'X-InCallMessaging-Signature'.");
        }

        if (options.CustomProviderSecret is { Length: > 0 and < 16 })
        {
            errors.Add("InCallMessaging:Webhooks:CustomProviderSecret is too short to be a secret; use at least 16 characters (32 random bytes, hex or Base64, is better).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
