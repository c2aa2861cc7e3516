using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath consumer group with one member, single writer, one <c>Claim</c> per event filled in place, then <c>Publish</c>.</summary>
public class HotPathGroupClaim : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.Claim);
}
