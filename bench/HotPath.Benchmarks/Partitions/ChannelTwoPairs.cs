using HotPath.Benchmarks.Throughput;

namespace HotPath.Benchmarks.Partitions;

/// <summary>Baseline: two independent bounded SPSC channels, one writer and one reader thread each.</summary>
public class ChannelTwoPairs : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new ChannelPipe<TEvent>(singleReaderWriter: true, Topology.Partitioned, queues: 2);
}
