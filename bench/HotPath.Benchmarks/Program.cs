using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

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
