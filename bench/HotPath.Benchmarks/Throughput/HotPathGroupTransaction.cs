using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath consumer group with one member, single writer, transactions of 256 events, each published with \<c\>PublishTo\</c\>, committed; read-committed member.</summary>
public class HotPathGroupTransaction : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.Transaction);
}
