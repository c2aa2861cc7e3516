namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// What a user writes: default topic and group options (multi-writer, 1,024 slots, <c>Blocking</c> waits), one group
/// member, keyless <c>Topic.Publish(in e)</c>, one writer.
/// </summary>
public class HotPathDefaultKeyless : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() =>
        new GroupPipe<TEvent>(Topology.OneToOne, 1, Workers.WaitStrategy.Yielding, PublishStyle.TopicKeyless, defaults: true);
}
