using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.AspNetCore.Tests.TestSupport;

/// <summary>Keeps every log entry so tests can check levels and that no personal data is written.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IReadOnlyList<LogEntry> Webhooks => [.. _entries.Where(e => e.Category == "InCallMessaging.AspNetCore.Webhooks")];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception)));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, string Message);
