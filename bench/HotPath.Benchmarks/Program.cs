using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

using System.Globalization;
using HotPath.Benchmarks.Curves;
using HotPath.Benchmarks.Journal;
using HotPath.Benchmarks.Latency;
using HotPath.Benchmarks.Ratios;

// Harnesses outside BenchmarkDotNet:
//   latency [--rate N] [--seconds S] [--out FILE]   one-way latency percentiles (HdrHistogram), HotPath and Channel
//   idle [--seconds S] [--out FILE]                 idle CPU per wait strategy
//   journal [--events N] [--seconds S] [--repeats R] [--dir DIR] [--out FILE] [--rows ROW,ROW] [--disk-budget-mib M]
//                                                   durable topics vs a plain FileStream write and FasterLog, same disk
//   curves [--seconds S] [--repeats R] [--out-dir DIR] [--sweeps fanout,partitions,sizes,capacities,pairs] [--smoke]
//                                                   events/s per fan-out, partition count, event size, ring capacity and
//                                                   independent pairs, HotPath vs Channels, markdown tables + SVG plots
//   ratios [--seconds S] [--rounds R] [--out-dir DIR] [--rows ROW,ROW]
//                                                   the speed targets as same-process ratios: every row once per round
if (args.Length > 0 && args[0] is "latency" or "idle" or "journal" or "curves" or "ratios")
{
    string? Option(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    if (args[0] == "curves")
    {
        return CurvesHarness.Run(
            double.Parse(Option("--seconds") ?? "1", CultureInfo.InvariantCulture),
            int.Parse(Option("--repeats") ?? "3", CultureInfo.InvariantCulture),
            Option("--out-dir"),
            Option("--sweeps")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? CurveSweeps.Names,
            args.Contains("--smoke"),
            "dotnet run -c Release --project bench/HotPath.Benchmarks -- " + string.Join(' ', args));
    }

    if (args[0] == "ratios")
    {
        return RatiosHarness.Run(
            double.Parse(Option("--seconds") ?? "0.5", CultureInfo.InvariantCulture),
            int.Parse(Option("--rounds") ?? "15", CultureInfo.InvariantCulture),
            Option("--out-dir"),
            Option("--rows")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. RatioRows.All.Select(r => r.Key)],
            "dotnet run -c Release --project bench/HotPath.Benchmarks -- " + string.Join(' ', args));
    }

    if (args[0] == "journal")
    {
        return JournalHarness.Run(
            long.Parse(Option("--events") ?? "2000000", CultureInfo.InvariantCulture),
            double.Parse(Option("--seconds") ?? "2", CultureInfo.InvariantCulture),
            int.Parse(Option("--repeats") ?? "9", CultureInfo.InvariantCulture),
            Option("--dir"),
            Option("--out"),
            Option("--rows")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            long.Parse(Option("--disk-budget-mib") ?? (JournalHarness.DiskBudgetBytes >> 20).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) << 20);
    }

    double seconds = double.Parse(Option("--seconds") ?? (args[0] == "latency" ? "4" : "3"), CultureInfo.InvariantCulture);
    return args[0] == "latency"
        ? LatencyHarness.Run(int.Parse(Option("--rate") ?? "100000", CultureInfo.InvariantCulture), seconds, Option("--out"))
        : IdleHarness.Run(seconds, Option("--out"));
}

// Exit code 1 when a benchmark failed (build, setup, a failed check, a crash) or when none ran (e.g. a filter that
// matches nothing), so scripts and CI can rely on it. Informational commands (--list, --help, ...) exit 0.
if (args.Any(a => a is "--list" or "--help" or "-h" or "-?" or "--version" or "--info"))
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}

IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
List<Summary> ran = summaries.ToList();
int failed = ran.Sum(s => s.Reports.Count(r => !r.Success) + (s.HasCriticalValidationErrors ? 1 : 0));
int succeeded = ran.Sum(s => s.Reports.Count(r => r.Success));
if (failed != 0 || succeeded == 0)
{
    Console.Error.WriteLine($"benchmarks: {succeeded} succeeded, {failed} failed");
    return 1;
}

return 0;
