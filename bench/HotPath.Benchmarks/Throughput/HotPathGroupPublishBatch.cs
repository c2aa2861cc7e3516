using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath consumer group with one member, single writer, \<c\>PublishBatch\</c\> of a 256-event span.</summary>
public class HotPathGroupPublishBatch : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.PublishBatch);
}
