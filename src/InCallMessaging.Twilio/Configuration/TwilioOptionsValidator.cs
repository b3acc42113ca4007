using InCallMessaging.Twilio.Internal;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio;

/// <summary>Checks <see cref="TwilioOptions"/> and reports every problem at once, each naming the setting and the fix.</summary>
internal sealed class TwilioOptionsValidator : IValidateOptions<TwilioOptions>
{
    internal const int MaxRetriesLimit = 10;
    internal static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(2);

    private const string Prefix = TwilioOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, TwilioOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();

        if (string.IsNullOrWhiteSpace(options.AccountSid))
        {
            problems.Add($"{Prefix}AccountSid is missing: set it to the Account SID shown in the Twilio Console ('AC' followed by 32 hex digits).");
        }
        else if (!TwilioSid.Is(options.AccountSid, TwilioSid.Account))
        {
            problems.Add($"{Prefix}AccountSid must be 'AC' followed by 32 hex digits (the value has {options.AccountSid.Length} characters): copy it from the Twilio Console.");
        }

        var hasToken = !string.IsNullOrWhiteSpace(options.AuthToken);
        var hasKeySid = !string.IsNullOrWhiteSpace(options.ApiKeySid);
        var hasKeySecret = !string.IsNullOrWhiteSpace(options.ApiKeySecret);
        if (hasKeySid && !TwilioSid.Is(options.ApiKeySid, TwilioSid.ApiKey))
        {
            problems.Add($"{Prefix}ApiKeySid must be 'SK' followed by 32 hex digits: copy the SID of an API key from the Twilio Console, or remove it to use the AuthToken.");
        }

        if (hasKeySid && !hasKeySecret)
        {
            problems.Add($"{Prefix}ApiKeySecret is missing while ApiKeySid is set: set the secret shown when the API key was created, or remove ApiKeySid to use the AuthToken.");
        }
        else if (hasKeySecret && !hasKeySid)
        {
            problems.Add($"{Prefix}ApiKeySid is missing while ApiKeySecret is set: set the API key's SID ('SK...'), or remove ApiKeySecret to use the AuthToken.");
        }
        else if (!hasToken && !hasKeySid)
        {
            problems.Add($"{Prefix}AuthToken is missing: set the account's Auth Token (it also checks webhook signatures), or set ApiKeySid and ApiKeySecret.");
        }

        if (options.ApiBaseUrl is null)
        {
            problems.Add($"{Prefix}ApiBaseUrl is missing: remove the setting to use https://api.twilio.com, or set the absolute URL of a stand-in.");
        }
        else if (!IsHttpUrl(options.ApiBaseUrl))
        {
            problems.Add($"{Prefix}ApiBaseUrl must be an absolute http or https URL such as https://api.twilio.com.");
        }

        if (options.PublicBaseUrl is not null)
        {
            if (!IsHttpUrl(options.PublicBaseUrl))
            {
                problems.Add($"{Prefix}PublicBaseUrl must be an absolute http or https URL such as https://bot.example.com (the address Twilio reaches this host at), or be removed.");
            }
            else if (options.PublicBaseUrl.Query.Length > 0 || options.PublicBaseUrl.Fragment.Length > 0)
            {
                problems.Add($"{Prefix}PublicBaseUrl must not have a query or fragment: set only scheme, host and an optional base path.");
            }
        }

        if (options.PublicBaseUrl is not null && string.IsNullOrWhiteSpace(options.StatusCallbackPath))
        {
            problems.Add($"{Prefix}StatusCallbackPath is empty: set the path of the status callback endpoint, such as /twilio/status.");
        }
        else if (!string.IsNullOrEmpty(options.StatusCallbackPath)
            && (!options.StatusCallbackPath.StartsWith('/') || options.StatusCallbackPath.Contains("://", StringComparison.Ordinal)
                || options.StatusCallbackPath.AsSpan().IndexOfAny('?', '#') >= 0))
        {
            problems.Add($"{Prefix}StatusCallbackPath must be a path starting with '/', without query or fragment, such as /twilio/status.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > MaxRequestTimeout)
        {
            problems.Add($"{Prefix}RequestTimeout must be more than 0 and at most {MaxRequestTimeout.TotalSeconds:0} seconds (for example 00:00:10).");
        }

        if (options.MaxRetries is < 0 or > MaxRetriesLimit)
        {
            problems.Add($"{Prefix}MaxRetries must be between 0 and {MaxRetriesLimit}.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > options.MaxRetryDelay)
        {
            problems.Add($"{Prefix}RetryBaseDelay must be between 0 and MaxRetryDelay.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static bool IsHttpUrl(Uri url) =>
        url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp);
}
