using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.MultiWriter;

/// <summary>HotPath multi-writer partition: two writer threads, one consumer group of one member.</summary>
public class HotPathTwoWriters : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.TwoWriters, 1, WaitStrategy.Yielding);
}
