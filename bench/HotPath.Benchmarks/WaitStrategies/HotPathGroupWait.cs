using BenchmarkDotNet.Attributes;
using HotPath.Benchmarks.Throughput;
using HotPath.Workers;

namespace HotPath.Benchmarks.WaitStrategies;

/// <summary>
/// HotPath 1 writer → 1 group of 1 member, 8-byte events, with each wait strategy on both sides (the writer on a
/// full ring, the member on an empty partition). Idle CPU per strategy is measured by the <c>idle</c> command.
/// </summary>
public class HotPathGroupWait : ThroughputBenchmark
{
    /// <summary>The wait strategy's name.</summary>
    [Params("BusySpin", "Yielding", "SpinThenSleep", "Blocking")]
    public string Strategy { get; set; } = "Yielding";

    /// <summary>The strategy named <paramref name="name"/>.</summary>
    /// <param name="name">BusySpin, Yielding, SpinThenSleep or Blocking.</param>
    /// <returns>The strategy.</returns>
    public static WaitStrategy Named(string name) => name switch
    {
        "BusySpin" => WaitStrategy.BusySpin,
        "Yielding" => WaitStrategy.Yielding,
        "SpinThenSleep" => WaitStrategy.SpinThenSleep,
        "Blocking" => WaitStrategy.Blocking,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown wait strategy"),
    };

    /// <inheritdoc/>
    protected override EventPipe CreatePipe<TEvent>() => new GroupPipe<TEvent>(Topology.OneToOne, 1, Named(Strategy));
}
