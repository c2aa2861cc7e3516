namespace HotPath.Benchmarks.Curves;

/// <summary>One series of a plot: a name, a colour and its points (x, median, min, max).</summary>
/// <param name="Name">The legend's text.</param>
/// <param name="Color">An SVG colour, e.g. <c>#1f77b4</c>.</param>
/// <param name="Points">The points, in x order; min and max draw an error bar.</param>
public sealed record PlotSeries(string Name, string Color, IReadOnlyList<(double X, double Median, double Min, double Max)> Points);
