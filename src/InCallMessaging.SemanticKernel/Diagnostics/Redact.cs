namespace InCallMessaging.SemanticKernel;

/// <summary>Masks personal data (phone numbers, message texts) before it reaches logs or traces.</summary>
internal static class Redact
{
    /// <summary>Masks a phone number, keeping the country prefix and the last four digits: <c>+1******0100</c>.</summary>
    public static string Phone(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return "";
        }

        if (number.Length <= 6)
        {
            return new string('*', number.Length);
        }

        return string.Create(number.Length, number, static (span, source) =>
        {
            source.AsSpan().CopyTo(span);
            span[2..^4].Fill('*');
        });
    }

    /// <summary>Masks <paramref name="number"/> when <paramref name="mask"/> is set (the plugin's <c>MaskPersonalData</c>).</summary>
    internal static string Phone(string? number, bool mask) => mask ? Phone(number) : number ?? "";

    /// <summary>Replaces <paramref name="text"/> with its length when <paramref name="mask"/> is set.</summary>
    internal static string Text(string? text, bool mask) => mask ? Text(text) : text ?? "";

    /// <summary>Replaces a message text with its length: <c>[42 chars]</c>.</summary>
    public static string Text(string? text) => text is null ? "[none]" : $"[{text.Length} chars]";
}
