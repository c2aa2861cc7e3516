using System.Diagnostics;
using HotPath.Topics;

namespace HotPath.Demo;

/// <summary>
/// Publishes the generator's events into the orders topic, keyed by <c>ORD12345</c> (UTF-8, formatted on the stack),
/// at a steady rate or as fast as the consumers allow. Calls <see cref="Halfway"/> once, on its own thread, when half
/// the events are out (or half the time cap has passed).
/// </summary>
/// <remarks>Thread-safety: <see cref="Run"/> on one thread (the topic is single-writer); the counters from any thread.</remarks>
internal sealed class OrderPublisher(Topic<OrderEvent> topic, OrderGenerator generator, double eventsPerSecond, TimeSpan? cap)
{
    /// <summary>64 events that take at least this long count as a stall: a writer waiting on a full ring, not working.</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(50);

    private long _published;
    private long _elapsedTicks;
    private long _stalledTicks;

    /// <summary>Called once, on the publishing thread, half way through.</summary>
    public Action? Halfway { get; init; }

    /// <summary>Events published so far. Any thread.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>How long publishing took, once finished; zero while running.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Volatile.Read(ref _elapsedTicks));

    /// <summary>
    /// Of <see cref="Elapsed"/>, the time in stalls: runs of 64 events that took <see cref="StallThreshold"/> or more
    /// (pacing sleeps excluded), as when a hung member holds its partitions. Once finished; zero while running.
    /// </summary>
    public TimeSpan Stalled => TimeSpan.FromTicks(Volatile.Read(ref _stalledTicks));

    /// <summary>Publishes until every order is complete or the time cap passes.</summary>
    public void Run()
    {
        Span<byte> key = stackalloc byte[OrderIds.MaxKeyLength];
        long half = generator.PlannedEvents / 2;
        double halfCapSeconds = cap is { } c ? c.TotalSeconds / 2 : double.MaxValue;
        bool paced = eventsPerSecond > 0 && !double.IsPositiveInfinity(eventsPerSecond);
        Action? halfway = Halfway;
        long published = 0;
        long started = Stopwatch.GetTimestamp();
        long lastCheck = started;
        long stallThreshold = (long)(StallThreshold.TotalSeconds * Stopwatch.Frequency);
        long stalled = 0;
        long nowTicks = DateTime.UtcNow.Ticks;
        while (generator.TryNext(nowTicks, out OrderEvent @event))
        {
            int length = OrderIds.WriteKey(@event.OrderId, key);
            topic.Publish(key[..length], in @event);
            published++;
            // Release: the view reads the count; a stale value is fine.
            Volatile.Write(ref _published, published);

            if (halfway is not null && published >= half)
            {
                halfway();
                halfway = null;
            }

            // Look at the clock every 64 events: pacing, the time cap and the timestamps need no finer grain.
            if ((published & 63) == 0)
            {
                long now = Stopwatch.GetTimestamp();
                if (now - lastCheck >= stallThreshold)
                {
                    stalled += now - lastCheck;
                }

                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                nowTicks = DateTime.UtcNow.Ticks;
                if (cap is { } limit && seconds >= limit.TotalSeconds)
                {
                    break;
                }

                if (halfway is not null && seconds >= halfCapSeconds)
                {
                    halfway();
                    halfway = null;
                }

                while (paced && published > eventsPerSecond * Stopwatch.GetElapsedTime(started).TotalSeconds)
                {
                    Thread.Sleep(1);
                }

                lastCheck = Stopwatch.GetTimestamp();
            }
        }

        // Release, both: written before the publishing task completes, which the readers await first.
        Volatile.Write(ref _stalledTicks, TimeSpan.FromSeconds((double)stalled / Stopwatch.Frequency).Ticks);
        Volatile.Write(ref _elapsedTicks, Stopwatch.GetElapsedTime(started).Ticks);
    }
}
