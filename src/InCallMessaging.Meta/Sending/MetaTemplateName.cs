using System.Text.RegularExpressions;

namespace InCallMessaging.Meta;

/// <summary>
/// An action's <c>TemplateId</c> read the Meta way: the approved template's name, optionally followed by <c>:</c> and its
/// language (<c>order_ready</c>, <c>order_ready:es_MX</c>); without one, <see cref="MetaWhatsAppOptions.DefaultTemplateLanguage"/>.
/// </summary>
internal static partial class MetaTemplateName
{
    /// <summary>Splits <paramref name="templateId"/> into name and language (null when it names none); false when it is not one.</summary>
    public static bool TryParse(string? templateId, out string name, out string? language)
    {
        name = "";
        language = null;
        if (string.IsNullOrEmpty(templateId))
        {
            return false;
        }

        var colon = templateId.IndexOf(':', StringComparison.Ordinal);
        name = colon < 0 ? templateId : templateId[..colon];
        language = colon < 0 ? null : templateId[(colon + 1)..];
        return NamePattern().IsMatch(name) && (language is null || IsLanguage(language));
    }

    /// <summary>Whether <paramref name="code"/> looks like a WhatsApp language code: <c>en</c>, <c>en_US</c>, <c>zh_Hant</c>...</summary>
    public static bool IsLanguage(string? code) => code is not null && LanguagePattern().IsMatch(code);

    // Meta: lowercase letters, digits and underscores, at most 512 characters.
    [GeneratedRegex("^[a-z0-9_]{1,512}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$")]
    private static partial Regex LanguagePattern();
}
