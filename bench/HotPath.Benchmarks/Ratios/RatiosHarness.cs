using System.Text;
using HotPath.Benchmarks.Curves;
using HotPath.Benchmarks.Reports;
using HotPath.Benchmarks.Throughput;
using static HotPath.Benchmarks.Reports.Placement;
using static HotPath.Benchmarks.Reports.RunReport;
using static HotPath.Benchmarks.Throughput.PipeMeasure;

namespace HotPath.Benchmarks.Ratios;

/// <summary>
/// The speed issue's targets, measured the way they are stated: as ratios of rows measured side by side in one process.
/// Each round times every row of <see cref="RatioRows"/> once (<see cref="PipeMeasure.Measure"/>: a fresh pipe, every
/// event checked), starting each round at a different row so that no row is always first; a target's ratio
/// is computed per round (its row's rate over its reference row's rate in that round) and the report gives the median
/// and the range over the rounds. This machine switches between speed regimes that lie 2-3x apart for seconds at a time,
/// and one process per row (BenchmarkDotNet's way) puts each row in whatever regime it meets; a ratio within one round
/// keeps both rows close in time. Since that is not enough (the regimes switch within a round), every run also records
/// the machine's core-to-core round trip (<see cref="CoreToCore"/>) right before and right after it: the report sets
/// apart the rounds in which a target's two rows ran with the same placement of the CPUs, and gives each row's rate
/// per placement band. Thread safety: one call at a time.
/// </summary>
public static class RatiosHarness
{
    /// <summary>Runs the rounds and writes the report to <paramref name="outDir"/>.</summary>
    /// <param name="seconds">Seconds timed per row and round (after the warm-up).</param>
    /// <param name="rounds">Rounds reported; one shorter round before them warms up every row and is not reported.</param>
    /// <param name="outDir">The folder of the report, or null for standard output only.</param>
    /// <param name="rows">The rows to run (keys of <see cref="RatioRows.All"/>); targets whose rows are not all run are left out.</param>
    /// <param name="command">The command line that ran the harness, for the report.</param>
    /// <returns>0, or 1 when a run failed its checks.</returns>
    public static int Run(double seconds, int rounds, string? outDir, IReadOnlyList<string> rows, string command)
    {
        if (!(seconds > 0) || rounds < 1)
        {
            Console.Error.WriteLine(Invariant($"ratios: --seconds must be positive and --rounds at least 1: seconds={seconds}, rounds={rounds}"));
            return 1;
        }

        if (rows.FirstOrDefault(k => RatioRows.All.All(r => r.Key != k)) is string unknown)
        {
            Console.Error.WriteLine($"ratios: unknown row '{unknown}' in --rows; the rows are {string.Join(", ", RatioRows.All.Select(r => r.Key))}");
            return 1;
        }

        RatioRow[] selected = [.. RatioRows.All.Where(r => rows.Contains(r.Key))];
        string commit = Commit();
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        string loadBefore = LoadAverage();
        DateTime started = DateTime.UtcNow;
        var errors = new List<string>();
        foreach (RatioRow row in selected)
        {
            PipeRun warmUp = Measure(row.Create, $"{row.Key} (warm-up)", Math.Min(seconds, 0.25), "ratios", CoreToCore.RoundTripNanoseconds);
            if (warmUp.Error is not null)
            {
                errors.Add($"{row.Key} (warm-up): {warmUp.Error}");
            }
        }

        // runs[row][round]
        var runs = selected.ToDictionary(r => r.Key, _ => new PipeRun[rounds]);
        // Round r starts at row r * step (mod the row count), the step coprime to the count, so the starts go round all rows.
        int step = new[] { 5, 3, 7, 1 }.First(k => Gcd(k, selected.Length) == 1);
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < selected.Length; i++)
            {
                RatioRow row = selected[(i + (round * step)) % selected.Length];
                PipeRun run = Measure(row.Create, $"{row.Key} round {round + 1}", seconds, "ratios", CoreToCore.RoundTripNanoseconds);
                runs[row.Key][round] = run;
                if (run.Error is not null)
                {
                    errors.Add($"{row.Key} round {round + 1}: {run.Error}");
                }

                Console.WriteLine(Invariant($"round {round + 1}/{rounds} {row.Key,-22} {Rate(run)} round trip {Trip(run)}"));
            }
        }

        string text = Report(selected, runs, rounds, seconds, commit, started, loadBefore, LoadAverage(), command, errors);
        Console.WriteLine(text);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            string file = Path.Combine(outDir, $"{stamp}-{commit.Split(' ')[0]}-ratios.md");
            File.WriteAllText(file, text);
            Console.WriteLine($"wrote {file}");
        }

        return errors.Count == 0 ? 0 : 1;
    }

    private static string Report(
        RatioRow[] rows,
        Dictionary<string, PipeRun[]> runs,
        int rounds,
        double seconds,
        string commit,
        DateTime started,
        string loadBefore,
        string loadAfter,
        string command,
        List<string> errors)
    {
        var text = new StringBuilder();
        text.AppendLine("# Ratios: the speed targets, same-process");
        text.AppendLine();
        text.AppendLine(Invariant($"Every row runs once per round, {rounds} rounds in one process, each round starting at a different row; one unreported warm-up run of every row first. A run is a fresh topic or set of channels: transfers of a fixed size (doubled from 4,096 events until one takes {ChunkSeconds(seconds) * 1e3:0.#} ms), {WarmUpSeconds(seconds):0.##} s of warm-up transfers, then {seconds:0.##} s timed; every reader checks every event and the sums, HotPath's threads allocate nothing. A target's ratio is taken **per round** (its row over its reference row in the same round), then the median (min–max) over the rounds. Right before each run's pipe is created and right after it is disposed, the harness measures the core-to-core round trip (one cache line between a thread pinned to CPU 0 and one pinned to CPU 1, median of 5 × 1,000 trips): on a virtual machine it moves with the host's placement of the virtual CPUs, and every pipe's rate moves with it. 8-byte events, 65,536 slots, `Yielding` waits and MaxBatchSize 1,024 unless the row says default options (multi-writer, 1,024 slots, `Blocking`, default batch)."));
        text.AppendLine();
        AppendMachineTable(text, commit, started, loadBefore, loadAfter, command);
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        text.AppendLine(Invariant($"*Same placement*: only the rounds in which both rows' runs had a steady core-to-core round trip (before and after within {SameFactor:0.0#}x of each other) and the same one (all four within {SameFactor:0.0#}x). The verdict uses them when there are at least {MinMatched} such rounds, else every round."));
        text.AppendLine();
        text.AppendLine("| target | every round: median (min–max) | same placement: median (min–max), rounds | bound | |");
        text.AppendLine("|---|---:|---:|---:|---|");
        foreach (RatioTarget target in RatioRows.Targets.Where(t => runs.ContainsKey(t.Row) && (t.Against is null || runs.ContainsKey(t.Against))))
        {
            PipeRun[] row = runs[target.Row];
            PipeRun[]? against = target.Against is null ? null : runs[target.Against];
            if (row.Concat(against ?? []).Any(r => r.Error is not null))
            {
                text.AppendLine(Invariant($"| {target.Label} | failed | | | |"));
                continue;
            }

            double Value(int i) => against is null ? row[i].EventsPerSecond : row[i].EventsPerSecond / against[i].EventsPerSecond;
            string Format(double[] values) => against is null
                ? $"{SvgPlot.Quantity(Median(values))} ({SvgPlot.Quantity(values.Min())}–{SvgPlot.Quantity(values.Max())})"
                : Spread(values, "0.00") + "x";
            double[] every = [.. Enumerable.Range(0, rounds).Select(Value)];
            double[] matched = [.. Enumerable.Range(0, rounds).Where(i => against is null ? Steady(row[i]) is not null : SameTrip(row[i], against[i])).Select(Value)];
            double judged = Median(matched.Length >= MinMatched ? matched : every);
            string bound = target.Bound is not double b ? "" : against is null ? SvgPlot.Quantity(b) + "/s" : Invariant($"{b:0.0#}x");
            string verdict = target.Bound is not double bb ? "reported"
                : judged >= bb ? "met"
                : Invariant($"short by {(1 - (judged / bb)) * 100:0}%");
            string matchedCell = matched.Length == 0 ? "none" : Invariant($"{Format(matched)}, {matched.Length}");
            text.AppendLine(Invariant($"| {target.Label} | {Format(every)} | {matchedCell} | {bound} | {verdict} |"));
        }

        text.AppendLine();
        text.AppendLine("## Rows");
        text.AppendLine();
        text.AppendLine(Invariant($"Every round's rate, and the rate per placement band: the runs whose round trip was steady, grouped by it (n = runs)."));
        text.AppendLine();
        text.AppendLine("| row | | events/s, median (min–max) | " + string.Join(" | ", Bands.Select(b => b.Label)) + " | others' CPU |");
        text.AppendLine("|---|---|---:|" + string.Concat(Enumerable.Repeat("---:|", Bands.Length)) + "---:|");
        foreach (RatioRow row in rows)
        {
            PipeRun[] r = runs[row.Key];
            double[] others = [.. r.Select(x => x.OthersCpu).OfType<double>().Select(o => o * 100)];
            IEnumerable<string> bands = Bands.Select(b =>
            {
                double[] inBand = RatesInBand(r, b.From, b.To);
                return inBand.Length == 0 ? "" : Invariant($"{SvgPlot.Quantity(Median(inBand))} (n={inBand.Length})");
            });
            text.AppendLine(Invariant($"| `{row.Key}` | {row.Label} | {Cell(r, 1)} | {string.Join(" | ", bands)} | {(others.Length == 0 ? "n/a" : Spread(others, "F0") + "%")} |"));
        }

        text.AppendLine();
        text.AppendLine("## Every round (events/s, core-to-core round trip in ns before/after)");
        text.AppendLine();
        text.AppendLine("| row | " + string.Join(" | ", Enumerable.Range(1, rounds).Select(r => Invariant($"{r}"))) + " |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", rounds)));
        foreach (RatioRow row in rows)
        {
            text.AppendLine($"| `{row.Key}` | " + string.Join(" | ", runs[row.Key].Select(r => r.Error is null ? $"{SvgPlot.Quantity(r.EventsPerSecond)} ({Trip(r)})" : "failed")) + " |");
        }

        foreach (string error in errors)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"FAILED: {error}"));
        }

        return text.ToString();
    }

    /// <summary>The least number of same-placement rounds a verdict is based on.</summary>
    private const int MinMatched = 3;

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
