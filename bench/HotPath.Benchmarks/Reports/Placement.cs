using HotPath.Benchmarks.Throughput;
using static HotPath.Benchmarks.Reports.RunReport;

namespace HotPath.Benchmarks.Reports;

/// <summary>
/// Which placement of the virtual CPUs a run had, from the core-to-core round trips (<see cref="CoreToCore"/>) measured
/// right before and right after it (<see cref="PipeRun.ProbeBefore"/>, <see cref="PipeRun.ProbeAfter"/>): the harnesses
/// that run many configurations in one process group their runs by it, so a rate is compared with rates of the same
/// placement. Thread safety: pure functions.
/// </summary>
public static class Placement
{
    /// <summary>How far apart (as a factor) two round trips may lie and still count as the same placement.</summary>
    public const double SameFactor = 1.3;

    /// <summary>The usual placement on the machines this suite runs on: a round trip of 100 to 300 ns.</summary>
    public static readonly (string Label, double From, double To) Usual = ("100–300 ns", 100, 300);

    /// <summary>The placement bands, by core-to-core round trip (ns).</summary>
    public static readonly (string Label, double From, double To)[] Bands =
    [
        ("round trip < 100 ns", 0, 100),
        Usual,
        ("≥ 300 ns", 300, double.PositiveInfinity),
    ];

    /// <summary>The run's round trip when the one before and the one after agree (their mean), else null.</summary>
    public static double? Steady(PipeRun run) =>
        run.ProbeBefore is double b && run.ProbeAfter is double a && Math.Max(a, b) <= SameFactor * Math.Min(a, b) ? (a + b) / 2 : null;

    /// <summary>True when both runs had a steady round trip and the same one.</summary>
    public static bool SameTrip(PipeRun x, PipeRun y) =>
        Steady(x) is double a && Steady(y) is double b && Math.Max(a, b) <= SameFactor * Math.Min(a, b);

    /// <summary>The rates of the successful runs whose steady round trip lies in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static double[] RatesInBand(IEnumerable<PipeRun> runs, double from, double to) =>
        [.. runs.Where(x => x.Error is null && Steady(x) is double t && t >= from && t < to).Select(x => x.EventsPerSecond)];

    /// <summary>The round trips before/after a run, "n/a" without them.</summary>
    public static string Trip(PipeRun run) =>
        run.ProbeBefore is double b && run.ProbeAfter is double a ? Invariant($"{b:F0}/{a:F0}") : "n/a";
}
