using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.FanOut;

/// <summary>HotPath fan-out: one writer, one partition, three consumer groups of one member each (Yielding waits: 4 busy threads on 2 cores).</summary>
public class HotPathThreeGroups : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.FanOut, 3, WaitStrategy.Yielding);
}
