using System.Text;
using HotPath.Benchmarks.Reports;
using HotPath.Benchmarks.Throughput;
using static HotPath.Benchmarks.Reports.RunReport;
using static HotPath.Benchmarks.Throughput.PipeMeasure;

namespace HotPath.Benchmarks.Curves;

/// <summary>
/// "How cost grows with the work": each sweep of <see cref="CurveSweeps"/> runs every point through HotPath and through
/// bounded <c>System.Threading.Channels</c> in the same run, interleaved (HotPath, Channels, HotPath, ...), each
/// <c>repeats</c> times; every run is a fresh pipe driven by <see cref="PipeDriver"/> (every event checked, sums
/// compared, HotPath's threads held to 0 B allocated), warmed up, then timed for <c>seconds</c>. Writes one markdown
/// report (machine, load, command, one table per sweep with medians and min–max) and one SVG plot per sweep
/// (<see cref="SvgPlot"/>). Thread safety: one call at a time.
/// </summary>
public static class CurvesHarness
{
    private const string HotPathColor = "#d62728";
    private const string ChannelsColor = "#1f77b4";

    /// <summary>Runs the sweeps and writes the report and the plots to <paramref name="outDir"/>.</summary>
    /// <param name="seconds">Seconds timed per run (after the warm-up).</param>
    /// <param name="repeats">Runs per implementation and point.</param>
    /// <param name="outDir">The folder of the report and the plots, or null for standard output only (no plots).</param>
    /// <param name="sweeps">The sweeps to run (names of <see cref="CurveSweeps.Names"/>).</param>
    /// <param name="smoke">Only the first and the last point of each sweep.</param>
    /// <param name="command">The command line that ran the harness, for the report.</param>
    /// <returns>0, or 1 when a run failed its checks.</returns>
    public static int Run(double seconds, int repeats, string? outDir, IReadOnlyList<string> sweeps, bool smoke, string command)
    {
        if (!(seconds > 0) || repeats < 1)
        {
            Console.Error.WriteLine(Invariant($"curves: --seconds must be positive and --repeats at least 1: seconds={seconds}, repeats={repeats}"));
            return 1;
        }

        if (sweeps.FirstOrDefault(s => !CurveSweeps.Names.Contains(s)) is string unknown)
        {
            Console.Error.WriteLine($"curves: unknown sweep '{unknown}' in --sweeps; the sweeps are {string.Join(", ", CurveSweeps.Names)}");
            return 1;
        }

        string commit = Commit();
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        string prefix = $"{stamp}-{commit.Split(' ')[0]}-curves";
        string loadBefore = LoadAverage();
        DateTime started = DateTime.UtcNow;
        var results = new List<SweepResult>();
        var warmUpErrors = new List<string>();
        foreach (string name in sweeps)
        {
            CurveSweep sweep = CurveSweeps.Get(name, smoke);
            var points = new List<PointResult>();

            // Warm-up pass, not reported unless it fails: the sweep's first point once per implementation, so that the
            // first measured point does not also pay for compiling the code the sweep shares (tier 0 to tier 1).
            var warmUp = new PointResult(sweep.Points[0]);
            warmUp.HotPath.Add(Measure(sweep.Points[0].HotPath, $"{name} {sweep.Points[0].Label} HotPath (warm-up)", seconds, "curves", CoreToCore.RoundTripNanoseconds));
            warmUp.Channels.Add(Measure(sweep.Points[0].Channels, $"{name} {sweep.Points[0].Label} Channels (warm-up)", seconds, "curves", CoreToCore.RoundTripNanoseconds));
            warmUpErrors.AddRange(warmUp.HotPath.Concat(warmUp.Channels).Select(r => r.Error).OfType<string>());
            foreach (CurvePoint point in sweep.Points)
            {
                var result = new PointResult(point);
                for (int r = 1; r <= repeats; r++)
                {
                    result.HotPath.Add(Measure(point.HotPath, $"{name} {point.Label} HotPath", seconds, "curves", CoreToCore.RoundTripNanoseconds));
                    result.Channels.Add(Measure(point.Channels, $"{name} {point.Label} Channels", seconds, "curves", CoreToCore.RoundTripNanoseconds));
                    Console.WriteLine(Invariant($"{name,-10} {point.Label,5} repeat {r}/{repeats}: HotPath {Rate(result.HotPath[^1])} (round trip {Placement.Trip(result.HotPath[^1])}), Channels {Rate(result.Channels[^1])} (round trip {Placement.Trip(result.Channels[^1])})"));
                }

                points.Add(result);
            }

            results.Add(new SweepResult(sweep, points));
        }

        string loadAfter = LoadAverage();
        var plots = new List<(string Sweep, string File, string Title, string Svg)>();
        foreach (SweepResult sweep in results)
        {
            plots.Add((sweep.Sweep.Name, $"{prefix}-{sweep.Sweep.Name}.svg", sweep.Sweep.Title, Plot(sweep, bytes: false)));
            if (sweep.Sweep.BytesPerSecond)
            {
                plots.Add((sweep.Sweep.Name, $"{prefix}-{sweep.Sweep.Name}-bytes.svg", sweep.Sweep.Title + ", MB/s", Plot(sweep, bytes: true)));
            }
        }

        string text = Report(results, plots, seconds, repeats, smoke, commit, started, loadBefore, loadAfter, command);
        foreach (string error in warmUpErrors)
        {
            text += Invariant($"{Environment.NewLine}Warm-up FAILED: {error}{Environment.NewLine}");
        }

        Console.WriteLine(text);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, prefix + ".md"), text);
            foreach ((_, string file, _, string svg) in plots)
            {
                File.WriteAllText(Path.Combine(outDir, file), svg);
            }

            Console.WriteLine($"wrote {Path.Combine(outDir, prefix + ".md")} and {plots.Count} plots");
        }

        bool failed = warmUpErrors.Count > 0 || results.SelectMany(s => s.Points).SelectMany(p => p.HotPath.Concat(p.Channels)).Any(r => r.Error is not null);
        return failed ? 1 : 0;
    }

    private static string Plot(SweepResult sweep, bool bytes)
    {
        int size(PointResult p) => bytes ? p.Point.EventBytes : 1;
        PlotSeries Series(string label, string color, Func<PointResult, List<PipeRun>> runs) => new(
            label,
            color,
            [.. sweep.Points.Where(p => runs(p).All(r => r.Error is null)).Select(p =>
            {
                double[] rates = [.. runs(p).Select(r => r.EventsPerSecond * size(p) / (bytes ? 1e6 : 1))];
                return ((double)p.Point.X, Median(rates), rates.Min(), rates.Max());
            })]);
        var series = new[] { Series("HotPath", HotPathColor, p => p.HotPath), Series("Channels", ChannelsColor, p => p.Channels) }
            .Where(s => s.Points.Count > 0).ToArray();
        if (series.Length == 0)
        {
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"40\"><text x=\"10\" y=\"25\">every run of this sweep failed</text></svg>\n";
        }

        var labels = sweep.Points.ToDictionary(p => (double)p.Point.X, p => p.Point.Label);
        return SvgPlot.Draw(bytes ? sweep.Sweep.Title + ", MB/s" : sweep.Sweep.Title, sweep.Sweep.Column, bytes ? "MB/s of event bytes" : "events/s published", x => labels[x], series);
    }

    private static string Report(
        List<SweepResult> results,
        List<(string Sweep, string File, string Title, string Svg)> plots,
        double seconds,
        int repeats,
        bool smoke,
        string commit,
        DateTime started,
        string loadBefore,
        string loadAfter,
        string command)
    {
        var text = new StringBuilder();
        text.AppendLine("# Curves: how cost grows with the work");
        text.AppendLine();
        text.AppendLine(Invariant($"Every point runs HotPath and its `System.Threading.Channels` baseline in the same run, interleaved (HotPath, Channels, HotPath, ...), {repeats} time{(repeats == 1 ? "" : "s")} each{(smoke ? " (smoke mode: first and last point of each sweep only)" : "")}. A run is a fresh topic or set of channels: transfers of a fixed size (doubled from 4,096 events until one takes {ChunkSeconds(seconds) * 1e3:0.#} ms), {WarmUpSeconds(seconds):0.##} s of warm-up transfers, then {seconds:0.##} s timed; events/s = events / timed seconds. Before each sweep, one unreported warm-up run of its first point per implementation. Medians (min–max) over the repeats; the ratio is the median of the per-repeat ratios HotPath / Channels. Others' CPU: the share of the machine's cores that other processes used during the timed parts of the point's runs (busy time from `/proc/stat` less this process's own CPU time), median (min–max): a run with other work on the machine is slower, and the rows show which ones had it. Right before each run's pipe is created and right after it is disposed, the harness measures the core-to-core round trip (one cache line between threads pinned to CPUs 0 and 1): on a virtual machine it moves with the host's placement of the virtual CPUs, and a hand-off's rate with it; the column *HotPath, {Placement.Usual.Label}* is the median over the HotPath runs whose round trip was steady and in that band (n of the repeats), and *round trips* lists every HotPath run's, before/after, in ns, so a point that ran in a slow placement shows as such. Every reader checks every event (per-partition order, payload at both ends) and its sum of sequence numbers; a failed check, a lost event (60 s timeout) or an allocation on a HotPath thread (writer, member or harness reader) in two transfers after the first fails the run and the harness exits 1."));
        text.AppendLine();
        AppendMachineTable(text, commit, started, loadBefore, loadAfter, command);
        text.AppendLine();
        foreach (SweepResult sweep in results)
        {
            CurveSweep s = sweep.Sweep;
            text.AppendLine(Invariant($"## {s.Title}"));
            text.AppendLine();
            text.AppendLine(s.Setup);
            text.AppendLine();
            foreach ((_, string file, string title, _) in plots.Where(p => p.Sweep == s.Name))
            {
                text.AppendLine(Invariant($"![{title}]({file})"));
                text.AppendLine();
            }

            text.AppendLine(s.BytesPerSecond
                ? Invariant($"| {s.Column} | HotPath events/s | HotPath MB/s | Channels events/s | Channels MB/s | HotPath / Channels | HotPath, {Placement.Usual.Label} | round trips | Others' CPU |")
                : Invariant($"| {s.Column} | HotPath events/s | Channels events/s | HotPath / Channels | HotPath, {Placement.Usual.Label} | round trips | Others' CPU |"));
            text.AppendLine(s.BytesPerSecond ? "|---:|---:|---:|---:|---:|---:|---:|---:|---:|" : "|---:|---:|---:|---:|---:|---:|---:|");
            foreach (PointResult p in sweep.Points)
            {
                string hotPath = Cell(p.HotPath, 1);
                string channels = Cell(p.Channels, 1);
                string ratio = p.HotPath.Concat(p.Channels).Any(r => r.Error is not null)
                    ? "n/a"
                    : Spread(p.HotPath.Select((r, i) => r.EventsPerSecond / p.Channels[i].EventsPerSecond).ToArray(), "0.0#") + "x";
                double mb = p.Point.EventBytes / 1e6;
                double[] others = [.. p.HotPath.Concat(p.Channels).Select(r => r.OthersCpu).OfType<double>().Select(o => o * 100)];
                string othersCell = others.Length == 0 ? "n/a" : Spread(others, "F0") + "%";
                double[] usual = Placement.RatesInBand(p.HotPath, Placement.Usual.From, Placement.Usual.To);
                string usualCell = usual.Length == 0 ? "none" : Invariant($"{SvgPlot.Quantity(Median(usual))} (n={usual.Length})");
                string trips = string.Join(", ", p.HotPath.Select(Placement.Trip));
                text.AppendLine(s.BytesPerSecond
                    ? Invariant($"| {p.Point.Label} | {hotPath} | {Cell(p.HotPath, mb, "F0")} | {channels} | {Cell(p.Channels, mb, "F0")} | {ratio} | {usualCell} | {trips} | {othersCell} |")
                    : Invariant($"| {p.Point.Label} | {hotPath} | {channels} | {ratio} | {usualCell} | {trips} | {othersCell} |"));
            }

            foreach (PipeRun failed in sweep.Points.SelectMany(p => p.HotPath.Concat(p.Channels)).Where(r => r.Error is not null))
            {
                text.AppendLine();
                text.AppendLine(Invariant($"FAILED: {failed.Error}"));
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private sealed record PointResult(CurvePoint Point)
    {
        public List<PipeRun> HotPath { get; } = [];

        public List<PipeRun> Channels { get; } = [];
    }

    private sealed record SweepResult(CurveSweep Sweep, List<PointResult> Points);
}
