using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace VoiceBotHost.Logging;

/// <summary>
/// One short line per log entry: <c>12:04:31 info RelaySession [CA0123…] Call started from +1******0123 …</c>. The
/// category is its last segment, and of the scopes only the call id shows, since calls overlap. With
/// <c>Logging:Console:FormatterOptions:IncludeScopes=true</c> every scope shows as well (ASP.NET Core's
/// <c>ConnectionId</c>, <c>RequestPath</c>, <c>RequestId</c>). An exception, which only an unexpected failure logs,
/// follows on its own lines, except for a failed start (see <see cref="HostStartFailed"/>). The start-up banner (<see cref="StartupBanner.Category"/>) is written as it is.
/// </summary>
public sealed class ShortConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "short";

    /// <summary>
    /// The generic host's "Hosting failed to start", logged with the exception's stack trace, several kilobytes of it:
    /// Program reports that failure itself, as the list of configuration problems or the port in use.
    /// </summary>
    private static readonly (string Category, int EventId) HostStartFailed = ("Microsoft.Extensions.Hosting.Internal.Host", 11);

    private const string ResetColor = "\u001b[39m\u001b[22m\u001b[49m";

    private readonly IOptionsMonitor<ShortConsoleFormatterOptions> _options;
    private readonly bool _colors = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;

    public ShortConsoleFormatter(IOptionsMonitor<ShortConsoleFormatterOptions> options)
        : base(FormatterName) => _options = options;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        if ((logEntry.Category, logEntry.EventId.Id) == HostStartFailed)
        {
            return;
        }

        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.Category == StartupBanner.Category)
        {
            textWriter.WriteLine(message);
            return;
        }

        var options = _options.CurrentValue;
        if (options.TimestampFormat is { } format)
        {
            var now = options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            textWriter.Write(now.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
        }

        WriteLevel(logEntry.LogLevel, textWriter);
        textWriter.Write(' ');
        textWriter.Write(ShortCategory(logEntry.Category));
        WriteScopes(scopeProvider, options.IncludeScopes, textWriter);
        textWriter.Write(' ');
        textWriter.WriteLine(message.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } exception)
        {
            textWriter.WriteLine(exception.ToString());
        }
    }

    private void WriteLevel(LogLevel level, TextWriter textWriter)
    {
        var (label, color) = level switch
        {
            LogLevel.Trace => ("trce", ""),
            LogLevel.Debug => ("dbug", ""),
            LogLevel.Information => ("info", "\u001b[32m"),
            LogLevel.Warning => ("warn", "\u001b[1m\u001b[33m"),
            LogLevel.Error => ("fail", "\u001b[1m\u001b[31m"),
            _ => ("crit", "\u001b[1m\u001b[37m\u001b[41m"),
        };
        if (_colors && color.Length > 0)
        {
            textWriter.Write(color);
            textWriter.Write(label);
            textWriter.Write(ResetColor);
        }
        else
        {
            textWriter.Write(label);
        }
    }

    /// <summary>The call id always (calls overlap); every other scope only when asked for.</summary>
    private static void WriteScopes(IExternalScopeProvider? scopeProvider, bool includeAll, TextWriter textWriter)
    {
        scopeProvider?.ForEachScope((scope, writer) =>
        {
            if (scope is CallLogScope call)
            {
                writer.Write($" [{call["CallId"]}]");
            }
            else if (includeAll && scope is not null)
            {
                writer.Write($" => {scope}");
            }
        }, textWriter);
    }

    /// <summary><c>InCallMessaging.SemanticKernel.CallSessionRegistry</c> → <c>CallSessionRegistry</c>.</summary>
    private static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot < 0 || dot == category.Length - 1 ? category : category[(dot + 1)..];
    }
}
