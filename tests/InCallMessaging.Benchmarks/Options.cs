using System.Globalization;

namespace InCallMessaging.Benchmarks;

/// <summary>Tiny command-line reader: <c>--name value</c>.</summary>
internal static class Options
{
    public static string? String(string[] args, string name, string? fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    public static int Int(string[] args, string name, int fallback) =>
        String(args, name, null) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public static double Double(string[] args, string name, double fallback) =>
        String(args, name, null) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public static bool Flag(string[] args, string name) => Array.IndexOf(args, name) >= 0;
}
