using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A logger provider that keeps every line, for assertions; thread-safe.</summary>
public sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>The lines so far of the HotPath category.</summary>
    public IReadOnlyList<LogEntry> HotPath => [.. _entries.Where(e => e.Category == "HotPath")];

    /// <summary>The HotPath lines with <paramref name="eventId"/>.</summary>
    public IReadOnlyList<LogEntry> Of(int eventId) => [.. HotPath.Where(e => e.EventId == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._entries.Enqueue(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}
