using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio;

/// <summary>Checks <see cref="TwilioSignatureOptions"/> and reports every problem at once, each naming the setting and the fix.</summary>
internal sealed class TwilioSignatureOptionsValidator : IValidateOptions<TwilioSignatureOptions>
{
    private const string Prefix = TwilioSignatureOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, TwilioSignatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.AuthToken is { } token && string.IsNullOrWhiteSpace(token))
        {
            problems.Add($"{Prefix}AuthToken is blank: set the account's Auth Token from the Twilio Console, or remove the setting.");
        }

        if (options.PublicBaseUrl is { } publicBaseUrl && Problem(publicBaseUrl) is { } problem)
        {
            problems.Add($"{Prefix}PublicBaseUrl {problem}");
        }

        for (var i = 0; i < options.AlternatePublicBaseUrls.Count; i++)
        {
            if (options.AlternatePublicBaseUrls[i] is not { } alternate)
            {
                problems.Add($"{Prefix}AlternatePublicBaseUrls:{i} is empty: set a URL such as https://old-tunnel.example.com, or remove it.");
            }
            else if (Problem(alternate) is { } alternateProblem)
            {
                problems.Add($"{Prefix}AlternatePublicBaseUrls:{i} {alternateProblem}");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Whether <paramref name="url"/> can be a public base URL: absolute http(s), no query or fragment.</summary>
    internal static bool IsUsable(Uri url) => Problem(url) is null;

    private static string? Problem(Uri url) =>
        !url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
            ? $"'{url.OriginalString}' must be an absolute http or https URL such as https://bot.example.com (the address Twilio reaches this host at)."
            : url.Query.Length > 0 || url.Fragment.Length > 0
                ? $"'{url.OriginalString}' must not have a query or fragment: set only scheme, host and an optional base path."
                : null;
}
