using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.FanOut;

/// <summary>
/// HotPath fan-out as <see cref="HotPathThreeGroups"/> (Yielding), with MaxBatchSize 8,192 instead of 1,024: a member
/// that was descheduled (4 threads on 2 cores) comes back to a large backlog and drains it in fewer loop turns.
/// </summary>
public class HotPathThreeGroupsLargeBatch : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.FanOut, 3, WaitStrategy.Yielding, maxBatchSize: 8192);
}
