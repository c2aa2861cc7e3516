namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// What a user writes: default topic and group options (multi-writer, 1,024 slots, <c>Blocking</c> waits), one group
/// member, <c>Topic.Publish(long key, in e)</c>, one writer.
/// </summary>
public class HotPathDefaultLongKey : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, Workers.WaitStrategy.Yielding, PublishStyle.LongKey, defaults: true);
}
