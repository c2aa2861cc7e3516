using HotPath.Benchmarks.Throughput;

namespace HotPath.Benchmarks.Curves;

/// <summary>One configuration of a sweep: its x value and the two implementations that run it.</summary>
/// <param name="X">The swept quantity (groups, partitions, bytes, slots, pairs).</param>
/// <param name="Label">The x value as the table and the plot show it (e.g. "64K").</param>
/// <param name="EventBytes">The event size in bytes.</param>
/// <param name="HotPath">Creates the HotPath pipe of this configuration.</param>
/// <param name="Channels">Creates the <c>System.Threading.Channels</c> pipe of the same configuration.</param>
public sealed record CurvePoint(int X, string Label, int EventBytes, Func<EventPipe> HotPath, Func<EventPipe> Channels);
