using HotPath.Consumers;
using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// <see cref="HotPathGroupPublish"/> with a read-uncommitted member: against it, what read-committed (the default)
/// costs when no transaction is used.
/// </summary>
public class HotPathGroupPublishReadUncommitted : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding, isolation: IsolationLevel.ReadUncommitted);
}
