using HotPath.Consumers;

namespace HotPath.Tests.Support;

/// <summary>Sums event values and counts events without allocating: for zero-allocation and stress tests.</summary>
public struct SumHandler : IEventHandler<TestEvent>
{
    public long Sum;
    public long Count;
    public long LastOffset;

    public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
    {
        Sum += @event.Value;
        Count++;
        LastOffset = offset;
    }
}
