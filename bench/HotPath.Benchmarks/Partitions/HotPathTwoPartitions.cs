using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.Partitions;

/// <summary>HotPath: two partitions, one writer each, one consumer group with one member per partition. Two is the most a 2-core machine can run side by side (4 busy threads already).</summary>
public class HotPathTwoPartitions : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.Partitioned, 2, WaitStrategy.Yielding);
}
