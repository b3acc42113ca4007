using Microsoft.Extensions.Logging.Console;

namespace VoiceBotHost.Logging;

/// <summary>
/// The host's console: short lines (<see cref="ShortConsoleFormatter"/>), and the start-up banner after every line
/// logged while starting.
/// </summary>
public static class ConsoleLogging
{
    public static void AddShortConsole(this WebApplicationBuilder builder)
    {
        // Trace and span ids would crowd the console; the call id scope is what ties a call's lines together.
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.None);
        builder.Logging.AddConsole(options => options.FormatterName = ShortConsoleFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<ShortConsoleFormatter, ShortConsoleFormatterOptions>();   // Logging:Console:FormatterOptions

        // The banner is printed whatever the configured levels are.
        builder.Logging.AddFilter<ConsoleLoggerProvider>(StartupBanner.Category, LogLevel.Information);
    }
}
