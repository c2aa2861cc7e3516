using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>One log line a test captured.</summary>
/// <param name="Category">The logger's category.</param>
/// <param name="Level">The level.</param>
/// <param name="EventId">The event id.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception, or null.</param>
public sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);
