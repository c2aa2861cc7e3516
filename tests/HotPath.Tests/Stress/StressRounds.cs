using System.Diagnostics;

namespace HotPath.Tests.Stress;

/// <summary>
/// The loop of the round-based stress tests: rounds with seeds drawn from one fixed seed, for the default seconds (CI) or
/// HOTPATH_STRESS_SECONDS, and at least a minimum number of rounds.
/// </summary>
internal static class StressRounds
{
    /// <summary>
    /// Runs <paramref name="round"/> (its seed, its number; returns the events it moved) until the time is up; returns
    /// the line a test writes to its output.
    /// </summary>
    public static string Run(int defaultSeconds, int seed, Func<int, int, long> round, int minRounds = 10)
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_STRESS_SECONDS"), out int s) ? s : defaultSeconds;
        var random = new Random(seed);
        var watch = Stopwatch.StartNew();
        int rounds = 0;
        long events = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(seconds) || rounds < minRounds)
        {
            events += round(random.Next(), rounds);
            rounds++;
        }

        return $"{rounds} rounds, {events:N0} events in {watch.Elapsed.TotalSeconds:F1} s";
    }
}
