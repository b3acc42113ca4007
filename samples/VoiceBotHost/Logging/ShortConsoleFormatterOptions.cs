using Microsoft.Extensions.Logging.Console;

namespace VoiceBotHost.Logging;

/// <summary>
/// Options of <see cref="ShortConsoleFormatter"/>, bound from <c>Logging:Console:FormatterOptions</c>: scopes off
/// (<c>IncludeScopes=true</c> adds ASP.NET Core's <c>ConnectionId</c>, <c>RequestPath</c>, <c>RequestId</c>), a
/// timestamp to the second.
/// </summary>
public sealed class ShortConsoleFormatterOptions : ConsoleFormatterOptions
{
    public ShortConsoleFormatterOptions() => TimestampFormat = "HH:mm:ss ";
}
