using HotPath.Consumers;

namespace HotPath.Tests.Support;

/// <summary>Records every event it is handed, with its offset.</summary>
public struct CollectingHandler : IEventHandler<TestEvent>
{
    public CollectingHandler()
    {
    }

    public List<(long Offset, TestEvent Event, bool EndOfBatch)> Seen { get; } = [];

    public readonly void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch) =>
        Seen.Add((offset, @event, endOfBatch));
}
