namespace HotPath.Benchmarks.Curves;

/// <summary>A sweep: one quantity varied over its points, everything else as the suite's 1→1 group row.</summary>
/// <param name="Name">The name <c>--sweeps</c> selects it by, and the suffix of its SVG file.</param>
/// <param name="Title">The heading and the plot's title.</param>
/// <param name="Column">The first column's heading and the plot's x label.</param>
/// <param name="Setup">What runs, in one paragraph of markdown.</param>
/// <param name="BytesPerSecond">True when the table and a second plot also show MB/s (the sizes sweep).</param>
/// <param name="Points">The points, in x order.</param>
public sealed record CurveSweep(string Name, string Title, string Column, string Setup, bool BytesPerSecond, IReadOnlyList<CurvePoint> Points);
