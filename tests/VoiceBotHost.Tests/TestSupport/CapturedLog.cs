using Microsoft.Extensions.Logging;

namespace VoiceBotHost.Tests.TestSupport;

/// <summary>One log entry as the host wrote it.</summary>
public sealed record CapturedEntry(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>A logger provider that keeps every entry of an in-process host, for tests that read its log.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly List<CapturedEntry> _entries = [];

    /// <summary>Every entry so far, oldest first.</summary>
    public IReadOnlyList<CapturedEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(CapturedEntry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add(new CapturedEntry(category, logLevel, formatter(state, exception), exception));
    }
}
