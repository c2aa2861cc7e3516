using BenchmarkDotNet.Attributes;

namespace HotPath.Benchmarks.Throughput;

/// <summary>Baseline: bounded <c>Channel&lt;T&gt;</c> with SingleReader = SingleWriter = true. Ratios are relative to it.</summary>
public class ChannelBoundedSpsc : EventSizeBenchmark
{
    /// <inheritdoc/>
    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerInvoke)]
    public override void Transfer() => base.Transfer();

    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new ChannelPipe<TEvent>(singleReaderWriter: true);
}
