using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.FanOut;

/// <summary>HotPath fan-out as \<see cref="HotPathThreeGroups"/\>, with Blocking waits (members park when idle).</summary>
public class HotPathThreeGroupsBlocking : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.FanOut, 3, WaitStrategy.Blocking);
}
