using System.Globalization;
using System.Text.RegularExpressions;

namespace InCallMessaging.Meta;

/// <summary>
/// What an action's template variable keys mean to Meta: <c>"1"</c>, <c>"2"</c>... are the body's positional parameters,
/// lowercase names (<c>first_name</c>) its named parameters, <c>header.image</c> / <c>header.video</c> /
/// <c>header.document</c> the link of the header's media, and <c>button.0</c>... the dynamic part of the URL button
/// at that index (an authentication template's one-time code goes in the body and in <c>button.0</c>).
/// </summary>
internal static partial class MetaTemplateVariables
{
    public const string HeaderImage = "header.image";
    public const string HeaderVideo = "header.video";
    public const string HeaderDocument = "header.document";
    private const string ButtonPrefix = "button.";

    /// <summary>The kind of one key.</summary>
    public static MetaVariableKind KindOf(string key, out int index)
    {
        index = 0;
        if (key is HeaderImage or HeaderVideo or HeaderDocument)
        {
            return MetaVariableKind.HeaderMedia;
        }

        if (key.StartsWith(ButtonPrefix, StringComparison.Ordinal)
            && int.TryParse(key.AsSpan(ButtonPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index) && index <= 9
            && key.Length == ButtonPrefix.Length + 1)
        {
            return MetaVariableKind.UrlButton;
        }

        if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index >= 1
            && key == index.ToString(CultureInfo.InvariantCulture))
        {
            return MetaVariableKind.Positional;
        }

        return NamedPattern().IsMatch(key) ? MetaVariableKind.Named : MetaVariableKind.Invalid;
    }

    /// <summary>The problems of a template's keys at start-up, each naming the key and the fix.</summary>
    public static IEnumerable<string> Check(IEnumerable<string> keys)
    {
        var positional = new List<int>();
        var named = 0;
        var headers = 0;
        foreach (var key in keys)
        {
            switch (KindOf(key, out var index))
            {
                case MetaVariableKind.Positional:
                    positional.Add(index);
                    break;
                case MetaVariableKind.Named:
                    named++;
                    break;
                case MetaVariableKind.HeaderMedia:
                    headers++;
                    break;
                case MetaVariableKind.UrlButton:
                    break;
                default:
                    yield return $"Template variable key '{key}' is not one Meta templates take: use \"1\", \"2\", ... (positional), a lowercase name such as \"first_name\" (named), \"{HeaderImage}\", \"{HeaderVideo}\", \"{HeaderDocument}\" or \"button.0\" ... \"button.9\".";
                    break;
            }
        }

        if (positional.Count > 0 && named > 0)
        {
            yield return "Template mixes numbered and named variables; a Meta template uses one or the other: key them all \"1\", \"2\", ... or all by name.";
        }

        positional.Sort();
        for (var i = 0; i < positional.Count; i++)
        {
            if (positional[i] != i + 1)
            {
                yield return $"Template variables are numbered {string.Join(", ", positional)}; Meta fills them in order, so number them \"1\" to \"{positional.Count}\" without gaps.";
                break;
            }
        }

        if (headers > 1)
        {
            yield return $"Template has {headers} header media variables; a Meta template has at most one header: keep one of {HeaderImage}, {HeaderVideo}, {HeaderDocument}.";
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,99}$")]
    private static partial Regex NamedPattern();
}

/// <summary>What a template variable key stands for.</summary>
internal enum MetaVariableKind
{
    Invalid,
    Positional,
    Named,
    HeaderMedia,
    UrlButton,
}
