using System.Diagnostics;

namespace HotPath.Demo;

/// <summary>Elapsed time, published count and the publish rate since the previous frame.</summary>
/// <remarks>Thread-safety: one thread (the view loop).</remarks>
internal sealed class FrameClock(OrderPublisher publisher, Stopwatch clock)
{
    private TimeSpan _lastTime;
    private long _lastPublished;
    private double _rate;

    public (TimeSpan Elapsed, long Published, double EventsPerSecond) Tick()
    {
        TimeSpan now = clock.Elapsed;
        long published = publisher.Published;
        double seconds = (now - _lastTime).TotalSeconds;
        if (seconds >= 0.05)
        {
            _rate = (published - _lastPublished) / seconds;
            _lastTime = now;
            _lastPublished = published;
        }

        return (now, published, _rate);
    }
}
