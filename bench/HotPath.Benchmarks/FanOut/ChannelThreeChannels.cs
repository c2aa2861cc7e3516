using HotPath.Benchmarks.Throughput;

namespace HotPath.Benchmarks.FanOut;

/// <summary>Baseline: one writer writes each event into three bounded SPSC channels, one reader thread each.</summary>
public class ChannelThreeChannels : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new ChannelPipe<TEvent>(singleReaderWriter: true, Topology.FanOut, queues: 3);
}
