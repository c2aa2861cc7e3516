using HotPath.Consumers;

namespace HotPath.CoyoteTests;

/// <summary>
/// A handler that records what it was handed (offset and a copy of the event). A struct handler is copied into
/// the reader; the lists are references, so the copies share them. <paramref name="check"/>, when given, is called with
/// each event as it is handed out, for what must hold at that moment; a message it returns is kept in
/// <see cref="Violations"/>, for <see cref="AssertNoViolations"/> once the other threads have ended (an assertion thrown
/// from the handler would end the test body early, and its teardown, racing the threads still running, could fail first
/// with a misleading exception).
/// </summary>
internal struct Recorder(List<(long Offset, Stamped Event)> seen, Func<long, Stamped, string?>? check = null) : IEventHandler<Stamped>
{
    public readonly List<(long Offset, Stamped Event)> Seen = seen;

    public readonly List<string> Violations = [];

    public readonly void OnEvent(ref readonly Stamped @event, int partition, long offset, bool endOfBatch)
    {
        if (check?.Invoke(offset, @event) is string violation)
        {
            Violations.Add(violation);
        }

        Seen.Add((offset, @event));
    }

    /// <summary>Fails with the first violations <c>check</c> reported, in full.</summary>
    public readonly void AssertNoViolations() =>
        Assert.True(Violations.Count == 0, $"{Violations.Count} violation(s): {string.Join("; ", Violations.Take(3))}");
}
