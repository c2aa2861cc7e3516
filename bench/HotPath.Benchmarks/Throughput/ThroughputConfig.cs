using BenchmarkDotNet.Configs;

namespace HotPath.Benchmarks.Throughput;

/// <summary>The throughput suite's configuration: adds the events-per-second column to the defaults.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public ThroughputConfig() => AddColumn(new EventsPerSecondColumn());
}
