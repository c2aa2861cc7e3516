using System.Globalization;

namespace HotPath.Demo;

/// <summary>
/// Under <c>--rate max</c>: what limits the demo's publishing rate. The handlers' work, not the engine: every event
/// goes through the handlers of every lossless group (each records it for the verification) and the writer waits
/// when a ring is full. The engine's own figure is quoted from its benchmark (<see cref="EngineBenchmark"/>).
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
internal static class MaxRateReport
{
    /// <summary>The run-log notes when publishing starts (each fits a log line of the view).</summary>
    public static IReadOnlyList<string> StartNotes { get; } =
    [
        "--rate max: the handlers' work sets the pace, not the engine",
        $"engine benchmark (README, not this run): {EngineBenchmark.OneGroup}, 1 writer -> 1 group",
    ];

    /// <summary>The report's paragraph, every line within <see cref="LiveView.Width"/> columns.</summary>
    /// <param name="published">Events published.</param>
    /// <param name="elapsed">How long publishing took.</param>
    /// <param name="stalled">Of that, the time in stalls (<see cref="OrderPublisher.Stalled"/>).</param>
    /// <param name="cores">Cores of the machine.</param>
    public static List<string> Lines(long published, TimeSpan elapsed, TimeSpan stalled, int cores)
    {
        TimeSpan working = elapsed - stalled;
        string measured = stalled >= OrderPublisher.StallThreshold && working > TimeSpan.Zero
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"{published:N0} events in {elapsed.TotalSeconds:0.0} s, {stalled.TotalSeconds:0.0} s of it in stalls of {OrderPublisher.StallThreshold.TotalMilliseconds:0} ms or more (the writer waiting on a full ring, as while a hung member holds its partitions until it is declared failed); between stalls {PerSecond(published, working)} events/s.")
            : string.Create(CultureInfo.InvariantCulture, $"{published:N0} events in {elapsed.TotalSeconds:0.0} s: {PerSecond(published, elapsed)} events/s.");
        string text = measured
            + " That pace is set by the handlers' work, not by the engine: every event goes through the handlers of every"
            + " lossless group, each recording it for the verification, and the writer waits whenever a ring is full;"
            + string.Create(CultureInfo.InvariantCulture, $" the groups' threads share {cores} cores.")
            + $" The engine's own figures come from its benchmark, not from this run: {EngineBenchmark.OneGroup} for 1 writer"
            + $" -> 1 consumer group and {EngineBenchmark.ThreeGroups} -> 3 groups, 8-byte events (README, Performance;"
            + $" commit {EngineBenchmark.Commit}).";
        var lines = new List<string> { "Rate (--rate max):" };
        lines.AddRange(TextLayout.Wrap(text, LiveView.Width - 2).Select(line => "  " + line));
        return lines;
    }

    private static string PerSecond(long events, TimeSpan time) =>
        time > TimeSpan.Zero ? ((long)(events / time.TotalSeconds)).ToString("N0", CultureInfo.InvariantCulture) : "-";
}
