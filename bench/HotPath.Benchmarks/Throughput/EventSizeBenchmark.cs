using BenchmarkDotNet.Attributes;

namespace HotPath.Benchmarks.Throughput;

/// <summary>The harness with the event size as a parameter: 8, 64 and 256 bytes.</summary>
public abstract class EventSizeBenchmark : ThroughputBenchmark
{
    /// <summary>The event size in bytes: 8, 64 or 256.</summary>
    [Params(8, 64, 256)]
    public override int EventBytes
    {
        get => base.EventBytes;
        set => base.EventBytes = value;
    }
}
