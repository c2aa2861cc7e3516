using HotPath.Workers;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath consumer group with one member, single writer, transactions of one \<c\>PublishBatch\</c\> of 256 events; read-committed member.</summary>
public class HotPathGroupTransactionBatch : ThroughputBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, WaitStrategy.Yielding, PublishStyle.TransactionBatch);
}
