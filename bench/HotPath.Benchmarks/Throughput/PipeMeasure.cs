using System.Diagnostics;
using HotPath.Benchmarks.Curves;
using static HotPath.Benchmarks.Reports.RunReport;

namespace HotPath.Benchmarks.Throughput;

/// <summary>What one timed run of a pipe gave.</summary>
/// <param name="EventsPerSecond">The rate of the timed part (events published per second).</param>
/// <param name="Error">Why the run failed, or null.</param>
/// <param name="OthersCpu">The share of the machine's cores other processes used during the timed part (0 to 1), or null where unknown.</param>
/// <param name="ProbeBefore">What the caller's probe measured right before the pipe was created, or null.</param>
/// <param name="ProbeAfter">What the caller's probe measured right after the pipe was disposed, or null.</param>
public sealed record PipeRun(double EventsPerSecond, string? Error, double? OthersCpu = null, double? ProbeBefore = null, double? ProbeAfter = null);

/// <summary>
/// Times one pipe outside BenchmarkDotNet, for the harnesses that compare configurations in one process (curves,
/// ratios): a fresh pipe driven by <see cref="PipeDriver"/> (every event checked, sums compared, HotPath's threads held
/// to 0 B allocated), warmed up, then timed. Thread safety: one call at a time.
/// </summary>
public static class PipeMeasure
{
    /// <summary>
    /// One run: a fresh pipe; transfers doubled from 4,096 events until one takes a fiftieth of the timed part (at most
    /// 20 ms, at most 4M events); warm-up transfers for <see cref="WarmUpSeconds"/> (tier-1 code, the ring's pages
    /// touched); then transfers of that size until <paramref name="seconds"/> have passed.
    /// </summary>
    /// <param name="create">Creates the pipe.</param>
    /// <param name="name">The name failures report.</param>
    /// <param name="seconds">Seconds timed (after the warm-up).</param>
    /// <param name="report">Where a failure is written (the harness's name leads the line).</param>
    /// <param name="probe">
    /// Measures the machine's state, or null: called right before the pipe is created and right after it is disposed
    /// (not while it lives: an idle member's wait loop would compete with the probe for a CPU).
    /// </param>
    /// <returns>The rate, or the failure.</returns>
    public static PipeRun Measure(Func<EventPipe> create, string name, double seconds, string report, Func<double?>? probe = null)
    {
        // The previous run's ring and channels (up to tens of MiB) are collected now, not during this run.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        double? probeBefore = probe?.Invoke();
        PipeRun run;
        try
        {
            using var driver = new PipeDriver(create(), name);
            int chunk = 1 << 12;
            double target = ChunkSeconds(seconds);
            while (chunk < 1 << 22)
            {
                long t = Stopwatch.GetTimestamp();
                driver.Transfer(chunk);
                if (Stopwatch.GetElapsedTime(t).TotalSeconds >= target)
                {
                    break;
                }

                chunk *= 2;
            }

            long warmUp = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(warmUp).TotalSeconds < WarmUpSeconds(seconds))
            {
                driver.Transfer(chunk);
            }

            using var process = Process.GetCurrentProcess();
            TimeSpan ownBefore = process.TotalProcessorTime;
            double? machineBefore = MachineBusySeconds();
            long events = 0;
            long start = Stopwatch.GetTimestamp();
            double elapsed;
            do
            {
                driver.Transfer(chunk);
                events += chunk;
                elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            while (elapsed < seconds);

            // What other processes took of the machine's cores meanwhile (the machine's busy time less this process's).
            process.Refresh();
            double own = (process.TotalProcessorTime - ownBefore).TotalSeconds;
            double? others = MachineBusySeconds() - machineBefore - own;
            run = new PipeRun(events / elapsed, null, others is double o ? Math.Max(0, o) / elapsed / Environment.ProcessorCount : null);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException or ObjectDisposedException or ArgumentException)
        {
            Console.Error.WriteLine($"{report}: {name} FAILED: {e.GetType().Name}: {e.Message}");
            return new PipeRun(0, $"{e.GetType().Name}: {e.Message}");
        }

        return run with { ProbeBefore = probeBefore, ProbeAfter = probe?.Invoke() };
    }

    /// <summary>The untimed warm-up of a run: half the timed part, at most 0.5 s.</summary>
    /// <param name="seconds">Seconds timed.</param>
    /// <returns>Seconds of warm-up.</returns>
    public static double WarmUpSeconds(double seconds) => Math.Min(0.5, seconds / 2);

    /// <summary>How long one transfer should take: a fiftieth of the timed part, at most 20 ms.</summary>
    /// <param name="seconds">Seconds timed.</param>
    /// <returns>Seconds per transfer.</returns>
    public static double ChunkSeconds(double seconds) => Math.Min(0.02, seconds / 50);

    /// <summary>A table cell of runs' rates times <paramref name="scale"/>: the median and the range, or "failed".</summary>
    /// <param name="runs">The runs of one configuration.</param>
    /// <param name="scale">What each rate is multiplied by (1 for events/s, the event size in MB for MB/s).</param>
    /// <param name="format">A number format, or null for <see cref="SvgPlot.Quantity"/> (e.g. 12.3M).</param>
    /// <returns>The cell's text.</returns>
    public static string Cell(IReadOnlyCollection<PipeRun> runs, double scale, string? format = null)
    {
        if (runs.Any(r => r.Error is not null))
        {
            return "**failed**";
        }

        double[] values = [.. runs.Select(r => r.EventsPerSecond * scale)];
        if (format is not null)
        {
            return Spread(values, format);
        }

        return values.Length == 1
            ? SvgPlot.Quantity(values[0])
            : $"{SvgPlot.Quantity(Median(values))} ({SvgPlot.Quantity(values.Min())}–{SvgPlot.Quantity(values.Max())})";
    }

    /// <summary>A run's rate for a progress line, e.g. "12.3M/s", or "FAILED".</summary>
    /// <param name="run">The run.</param>
    /// <returns>The text.</returns>
    public static string Rate(PipeRun run) => run.Error is null ? SvgPlot.Quantity(run.EventsPerSecond) + "/s" : "FAILED";
}
