namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// What a user writes: default topic and group options (multi-writer, 1,024 slots, <c>Blocking</c> waits), one group
/// member, <c>Topic.Publish(string key, in e)</c> with 8-character keys (<c>ORD00042</c>), one writer.
/// </summary>
public class HotPathDefaultStringKey : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, Workers.WaitStrategy.Yielding, PublishStyle.StringKey, defaults: true);
}
