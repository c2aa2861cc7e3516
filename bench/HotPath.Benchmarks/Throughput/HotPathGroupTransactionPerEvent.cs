using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath consumer group with one member, single writer, one transaction per event (begin, publish, commit): the commit's cost; read-committed member.</summary>
public class HotPathGroupTransactionPerEvent : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.TransactionPerEvent);
}
