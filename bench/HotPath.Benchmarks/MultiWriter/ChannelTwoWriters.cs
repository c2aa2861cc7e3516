using HotPath.Benchmarks.Throughput;

namespace HotPath.Benchmarks.MultiWriter;

/// <summary>Baseline: two writer threads into one bounded channel (SingleReader = SingleWriter = false), one reader.</summary>
public class ChannelTwoWriters : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new ChannelPipe<TEvent>(singleReaderWriter: false, Topology.TwoWriters);
}
