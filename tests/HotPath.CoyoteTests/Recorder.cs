using HotPath.Consumers;

namespace HotPath.CoyoteTests;

/// <summary>
/// A handler that records what it was handed (offset and a copy of the event). A struct handler is copied into
/// the reader; the list is a reference, so the copies share it.
/// </summary>
internal struct Recorder(List<(long Offset, Stamped Event)> seen) : IEventHandler<Stamped>
{
    public readonly List<(long Offset, Stamped Event)> Seen = seen;

    public readonly void OnEvent(ref readonly Stamped @event, int partition, long offset, bool endOfBatch) =>
        Seen.Add((offset, @event));
}
