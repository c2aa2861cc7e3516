namespace HotPath.Benchmarks.Throughput;

/// <summary>Baseline: unbounded <c>ConcurrentQueue&lt;T&gt;</c> with a spinning (then yielding) reader.</summary>
public class ConcurrentQueueSpin : EventSizeBenchmark
{
    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new ConcurrentQueuePipe<TEvent>();
}
