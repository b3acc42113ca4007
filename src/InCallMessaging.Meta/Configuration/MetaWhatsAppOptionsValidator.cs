using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta;

/// <summary>Checks <see cref="MetaWhatsAppOptions"/> and reports every problem at once, each naming the setting and the fix.</summary>
internal sealed partial class MetaWhatsAppOptionsValidator : IValidateOptions<MetaWhatsAppOptions>
{
    internal const int MaxRetriesLimit = 5;
    internal static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(2);

    private const string Prefix = MetaWhatsAppOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, MetaWhatsAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();

        if (string.IsNullOrWhiteSpace(options.AccessToken))
        {
            problems.Add($"{Prefix}AccessToken is missing: set a system user access token with the whatsapp_business_messaging permission (Meta Business Settings > System users).");
        }
        else if (options.AccessToken.Any(char.IsWhiteSpace))
        {
            problems.Add($"{Prefix}AccessToken contains white space: copy the token again without spaces or line breaks.");
        }

        if (options.GraphApiVersion is null || !VersionPattern().IsMatch(options.GraphApiVersion))
        {
            problems.Add($"{Prefix}GraphApiVersion '{options.GraphApiVersion}' must be a Graph API version such as v24.0 ('v', the major number, '.', the minor number).");
        }

        if (options.ApiBaseUrl is null || !options.ApiBaseUrl.IsAbsoluteUri
            || (options.ApiBaseUrl.Scheme != Uri.UriSchemeHttps && options.ApiBaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{Prefix}ApiBaseUrl must be an absolute http or https URL: remove the setting to use https://graph.facebook.com, or set the URL of a stand-in.");
        }

        if (!MetaTemplateName.IsLanguage(options.DefaultTemplateLanguage))
        {
            problems.Add($"{Prefix}DefaultTemplateLanguage '{options.DefaultTemplateLanguage}' must be a WhatsApp language code such as en_US, pt_BR or de.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > MaxRequestTimeout)
        {
            problems.Add($"{Prefix}RequestTimeout must be more than 0 and at most {MaxRequestTimeout.TotalSeconds:0} seconds (for example 00:00:10).");
        }

        if (options.MaxRetries is < 0 or > MaxRetriesLimit)
        {
            problems.Add($"{Prefix}MaxRetries must be between 0 and {MaxRetriesLimit}.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > options.RequestTimeout)
        {
            problems.Add($"{Prefix}RetryBaseDelay must be between 0 and RequestTimeout (for example 00:00:01).");
        }

        if (options.MaxWebhookBodyBytes < 64 * 1024)
        {
            problems.Add($"{Prefix}MaxWebhookBodyBytes must be at least 65536; Meta sends batches of up to 3 MB (default 4194304).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    [GeneratedRegex("^v[0-9]{1,3}\\.[0-9]{1,3}$")]
    private static partial Regex VersionPattern();
}
