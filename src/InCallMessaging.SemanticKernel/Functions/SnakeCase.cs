namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>snake_case names of an enum's values, computed once ("WhatsAppWindowClosed" becomes "whatsapp_window_closed").</summary>
internal static class SnakeCase<T>
    where T : struct, Enum
{
    private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v => Convert(v.ToString()));

    public static string Of(T value) => Names.TryGetValue(value, out var name) ? name : Convert(value.ToString());

    private static string Convert(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        var source = name.Replace("WhatsApp", "Whatsapp", StringComparison.Ordinal);
        for (var i = 0; i < source.Length; i++)
        {
            if (char.IsUpper(source[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(source[i]));
        }

        return builder.ToString();
    }
}
