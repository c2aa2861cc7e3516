namespace HotPath.Benchmarks.Throughput;

/// <summary>Baseline: bounded <c>Channel&lt;T&gt;</c> with SingleReader = SingleWriter = false.</summary>
public class ChannelBoundedMpmc : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new ChannelPipe<TEvent>(singleReaderWriter: false);
}
