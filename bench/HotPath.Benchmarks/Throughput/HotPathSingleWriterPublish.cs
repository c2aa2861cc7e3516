using HotPath.Partitions;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath, single-writer mode: one <c>Partition.Publish</c> per event.</summary>
public class HotPathSingleWriterPublish : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new HotPathPipe<TEvent>(PublishMode.SingleWriter, batchSize: 1);
}
