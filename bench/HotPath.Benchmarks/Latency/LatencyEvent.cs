namespace HotPath.Benchmarks.Latency;

/// <summary>A 24-byte event for the latency harness: its sequence number and its scheduled and its actual send time.</summary>
public struct LatencyEvent
{
    /// <summary>The sequence number, from 0.</summary>
    public long Sequence;

    /// <summary>The <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> at which the writer was scheduled to publish it.</summary>
    public long Scheduled;

    /// <summary>The <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> just before the writer published it.</summary>
    public long Sent;
}
