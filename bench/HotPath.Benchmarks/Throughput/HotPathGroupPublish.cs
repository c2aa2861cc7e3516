using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath consumer group with one member (struct handler on its own thread), single writer, one \<c\>Partition.Publish\</c\> per event.</summary>
public class HotPathGroupPublish : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding);
}
