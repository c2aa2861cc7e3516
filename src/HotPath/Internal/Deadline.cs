using System.Diagnostics;

namespace HotPath.Internal;

/// <summary>Deadlines as <see cref="Stopwatch"/> timestamps, for waits that loop: <see cref="Never"/> is no deadline.</summary>
internal static class Deadline
{
    /// <summary>No deadline.</summary>
    public const long Never = long.MaxValue;

    /// <summary>
    /// The timestamp <paramref name="timeout"/> from now (not negative), or <see cref="Never"/> when it lies beyond what a
    /// timestamp can hold (<see cref="TimeSpan.MaxValue"/>: with a 1 ns tick that is about 292 years): a sum that wrapped
    /// negative would end the wait at once.
    /// </summary>
    public static long From(TimeSpan timeout)
    {
        double ticks = timeout.TotalSeconds * Stopwatch.Frequency;
        long now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? Never : now + (long)ticks;
    }

    /// <summary>
    /// The whole milliseconds until <paramref name="deadline"/>, rounded up, at most <paramref name="limit"/>
    /// (<see cref="Timeout.Infinite"/>: no limit; also what <see cref="Never"/> gives then); 0 once it passed.
    /// </summary>
    public static int MillisecondsUntil(long deadline, int limit)
    {
        if (deadline == Never)
        {
            return limit;
        }

        double remaining = Math.Ceiling((deadline - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency);
        return (int)Math.Clamp(remaining, 0, limit == Timeout.Infinite ? int.MaxValue : limit);
    }
}
