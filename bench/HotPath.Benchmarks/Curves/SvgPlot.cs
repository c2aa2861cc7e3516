using System.Globalization;
using System.Net;
using System.Text;
using static HotPath.Benchmarks.Reports.RunReport;

namespace HotPath.Benchmarks.Curves;

/// <summary>
/// A line plot as hand-written SVG 1.1 text (no plotting package): log2 x axis with a tick and label at every point's x,
/// logarithmic y axis with ticks at 1, 2 and 5 times the powers of ten, one polyline per series with a marker per point
/// and a min–max bar, a legend, a title and axis labels. Renders in browsers and on GitHub (no scripts, no external
/// fonts, explicit width and height). Thread safety: stateless; any thread.
/// </summary>
public static class SvgPlot
{
    private const int Width = 760;
    private const int Height = 440;
    private const int Left = 90;
    private const int Right = 180;
    private const int Top = 50;
    private const int Bottom = 70;

    /// <summary>Draws the plot.</summary>
    /// <param name="title">The title above the plot.</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="xTickLabel">The text of the tick at an x value (e.g. "64K").</param>
    /// <param name="series">The series; every value must be positive.</param>
    /// <returns>The SVG document.</returns>
    public static string Draw(string title, string xLabel, string yLabel, Func<double, string> xTickLabel, IReadOnlyList<PlotSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(xTickLabel);
        var points = series.SelectMany(s => s.Points).ToArray();
        if (points.Length == 0 || points.Any(p => !(p.X > 0 && p.Median > 0 && p.Min > 0 && p.Max > 0)))
        {
            throw new ArgumentException($"a plot needs at least one point and positive values only: {points.Length} points", nameof(series));
        }

        double[] xs = [.. points.Select(p => p.X).Distinct().Order()];
        double xMin = Math.Log2(xs[0]);
        double xMax = Math.Log2(xs[^1]);
        if (xMax - xMin < 1e-9)
        {
            xMin -= 0.5;
            xMax += 0.5;
        }

        // The y range spans whole 1-2-5 ticks around the data.
        double yLow = Math.Pow(10, Math.Floor(Math.Log10(points.Min(p => p.Min))));
        double yHigh = Math.Pow(10, Math.Ceiling(Math.Log10(points.Max(p => p.Max))));
        double logLow = Math.Log10(yLow);
        double logHigh = Math.Log10(yHigh);
        int plotWidth = Width - Left - Right;
        int plotHeight = Height - Top - Bottom;
        double X(double x) => Left + ((Math.Log2(x) - xMin) / (xMax - xMin) * plotWidth);
        double Y(double y) => Top + plotHeight - ((Math.Log10(y) - logLow) / (logHigh - logLow) * plotHeight);

        var svg = new StringBuilder();
        svg.AppendLine("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        svg.AppendLine(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"));
        svg.AppendLine(Invariant($"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>"));
        svg.AppendLine(Invariant($"<text x=\"{Width / 2}\" y=\"26\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>"));

        // Grid and y ticks: 1, 2, 5 x 10^k.
        for (double decade = yLow; decade < yHigh * 1.0001; decade *= 10)
        {
            foreach (double factor in new[] { 1.0, 2.0, 5.0 })
            {
                double value = decade * factor;
                if (value > yHigh * 1.0001)
                {
                    break;
                }

                double y = Y(value);
                bool major = factor == 1.0;
                svg.AppendLine(Invariant($"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Left + plotWidth}\" y2=\"{y:F1}\" stroke=\"{(major ? "#bbbbbb" : "#e4e4e4")}\" stroke-width=\"1\"/>"));
                svg.AppendLine(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Escape(Quantity(value))}</text>"));
            }
        }

        // X ticks at every point's x.
        foreach (double x in xs)
        {
            double px = X(x);
            svg.AppendLine(Invariant($"<line x1=\"{px:F1}\" y1=\"{Top}\" x2=\"{px:F1}\" y2=\"{Top + plotHeight}\" stroke=\"#eeeeee\" stroke-width=\"1\"/>"));
            svg.AppendLine(Invariant($"<line x1=\"{px:F1}\" y1=\"{Top + plotHeight}\" x2=\"{px:F1}\" y2=\"{Top + plotHeight + 5}\" stroke=\"black\"/>"));
            svg.AppendLine(Invariant($"<text x=\"{px:F1}\" y=\"{Top + plotHeight + 19}\" text-anchor=\"middle\">{Escape(xTickLabel(x))}</text>"));
        }

        svg.AppendLine(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"black\"/>"));
        svg.AppendLine(Invariant($"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 22}\" text-anchor=\"middle\" font-size=\"13\">{Escape(xLabel)} (log2 scale)</text>"));
        svg.AppendLine(Invariant($"<text x=\"20\" y=\"{Top + (plotHeight / 2)}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 20 {Top + (plotHeight / 2)})\">{Escape(yLabel)} (log scale)</text>"));

        // Series: min-max bars, the line through the medians, a marker per median.
        int legendY = Top + 10;
        foreach (PlotSeries s in series)
        {
            var line = new StringBuilder();
            foreach ((double x, double median, double min, double max) in s.Points)
            {
                double px = X(x);
                svg.AppendLine(Invariant($"<line x1=\"{px:F1}\" y1=\"{Y(min):F1}\" x2=\"{px:F1}\" y2=\"{Y(max):F1}\" stroke=\"{s.Color}\" stroke-width=\"1.5\" opacity=\"0.6\"/>"));
                svg.AppendLine(Invariant($"<line x1=\"{px - 4:F1}\" y1=\"{Y(min):F1}\" x2=\"{px + 4:F1}\" y2=\"{Y(min):F1}\" stroke=\"{s.Color}\" stroke-width=\"1.5\" opacity=\"0.6\"/>"));
                svg.AppendLine(Invariant($"<line x1=\"{px - 4:F1}\" y1=\"{Y(max):F1}\" x2=\"{px + 4:F1}\" y2=\"{Y(max):F1}\" stroke=\"{s.Color}\" stroke-width=\"1.5\" opacity=\"0.6\"/>"));
                line.Append(Invariant($"{px:F1},{Y(median):F1} "));
            }

            svg.AppendLine(Invariant($"<polyline points=\"{line.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2.5\"/>"));
            foreach ((double x, double median, _, _) in s.Points)
            {
                svg.AppendLine(Invariant($"<circle cx=\"{X(x):F1}\" cy=\"{Y(median):F1}\" r=\"4\" fill=\"{s.Color}\"><title>{Escape(s.Name)}: {Escape(xTickLabel(x))} → {Escape(Quantity(median))}</title></circle>"));
            }

            int lx = Left + plotWidth + 16;
            svg.AppendLine(Invariant($"<line x1=\"{lx}\" y1=\"{legendY}\" x2=\"{lx + 24}\" y2=\"{legendY}\" stroke=\"{s.Color}\" stroke-width=\"2.5\"/>"));
            svg.AppendLine(Invariant($"<circle cx=\"{lx + 12}\" cy=\"{legendY}\" r=\"4\" fill=\"{s.Color}\"/>"));
            svg.AppendLine(Invariant($"<text x=\"{lx + 32}\" y=\"{legendY + 4}\">{Escape(s.Name)}</text>"));
            legendY += 22;
        }

        svg.AppendLine(Invariant($"<text x=\"{Left + plotWidth + 16}\" y=\"{legendY + 4}\" fill=\"#555555\" font-size=\"11\">median; bar: min–max</text>"));
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>A positive quantity with an SI suffix: 2.5K, 120M, 1.2G.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Quantity(double value) => value switch
    {
        >= 1e9 => Invariant($"{value / 1e9:0.##}G"),
        >= 1e6 => Invariant($"{value / 1e6:0.##}M"),
        >= 1e3 => Invariant($"{value / 1e3:0.##}K"),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
