using System.Diagnostics;
using HotPath.Workers;

namespace HotPath.Benchmarks.Reports;

/// <summary>
/// The machine's core-to-core hand-off, measured: the round trip of one cache line between a thread on CPU 0 and a
/// thread on CPU 1 (each writes a counter the other spins on, with no pause instruction, as the hand-off itself). On a virtual machine the host places the virtual CPUs
/// on physical cores as it likes, and the round trip moves with that placement (on the machine this suite was tuned
/// on: about 60, 130 or 570 ns, switching every second or so); a pipe between two threads pays that hand-off for each
/// line of events and each cursor it reads, so its rate and its latency move with it. The ratios and latency harnesses
/// measure it right before and right after each run to tell which placement a run had. Thread safety: one call at a
/// time.
/// </summary>
public static class CoreToCore
{
    private const int Trips = 1000;
    private const int Samples = 5;

    /// <summary>
    /// The median over a few samples of the round trip's average in nanoseconds; the calling thread is pinned to CPU 0
    /// for the call (and unpinned after it), a short-lived thread to CPU 1. Null when the machine has fewer than two
    /// CPUs or the threads cannot be pinned.
    /// </summary>
    /// <returns>Nanoseconds per round trip, or null.</returns>
    public static double? RoundTripNanoseconds()
    {
        if (Environment.ProcessorCount < 2 || !CpuAffinity.IsSupported)
        {
            return null;
        }

        // The two counters on separate cache lines (128 bytes apart: adjacent-line prefetch pairs 64-byte lines).
        var lines = new long[48];
        bool pinned = true;
        var echo = new Thread(() =>
        {
            pinned &= CpuAffinity.TryPinCurrentThread(1, out _);
            long seen = 0;
            while (true)
            {
                long v;
                while ((v = Volatile.Read(ref lines[8])) == seen)
                {
                }

                if (v < 0)
                {
                    return;
                }

                Volatile.Write(ref lines[24], v);
                seen = v;
            }
        })
        { IsBackground = true, Name = "core-to-core echo" };
        bool callerPinned = CpuAffinity.TryPinCurrentThread(0, out _);
        echo.Start();
        try
        {
            var samples = new double[Samples];
            long n = 0;
            for (int s = -1; s < Samples; s++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < Trips; i++)
                {
                    n++;
                    Volatile.Write(ref lines[8], n);
                    while (Volatile.Read(ref lines[24]) != n)
                    {
                    }
                }

                // Sample -1 warms both threads up (the echo thread's start, its first wake-up) and is dropped.
                if (s >= 0)
                {
                    samples[s] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Trips;
                }
            }

            Array.Sort(samples);
            return callerPinned && pinned ? samples[Samples / 2] : null;
        }
        finally
        {
            Volatile.Write(ref lines[8], -1);
            echo.Join();
            if (callerPinned)
            {
                CpuAffinity.TryResetCurrentThread();
            }
        }
    }
}
