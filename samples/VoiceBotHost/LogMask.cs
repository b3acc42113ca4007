namespace VoiceBotHost;

/// <summary>
/// Masks what the sample's own logs would otherwise show of a caller: a number keeps its country code and last four
/// digits, a text only its length (the plugin masks its own logs with <c>MaskPersonalData</c>).
/// </summary>
public static class LogMask
{
    public static string Phone(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return "[none]";
        }

        var digits = number.Count(char.IsAsciiDigit);
        return number.StartsWith('+') && digits > 6
            ? $"+{number[1]}{new string('*', digits - 5)}{number[^4..]}"
            : $"[{number.Length} chars]";
    }

    public static string Text(string? text) => text is null ? "[none]" : $"[{text.Length} chars]";
}
