using HotPath.Partitions;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath, single-writer mode: <c>Partition.ClaimBatch</c> of <see cref="BatchSize"/> slots filled in place, one publish per batch.</summary>
public class HotPathSingleWriterClaimBatch : EventSizeBenchmark
{
    /// <summary>Events per claim.</summary>
    public const int BatchSize = 256;

    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new HotPathPipe<TEvent>(PublishMode.SingleWriter, BatchSize);
}
