using HotPath.Partitions;

namespace HotPath.Benchmarks.Throughput;

/// <summary>HotPath, multi-writer mode (CAS claims, per-slot publication) with one writer: one <c>Partition.Publish</c> per event.</summary>
public class HotPathMultiWriterPublish : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new HotPathPipe<TEvent>(PublishMode.MultiWriter, batchSize: 1);
}
