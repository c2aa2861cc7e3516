using System.Diagnostics.Metrics;

namespace HotPath.Diagnostics;

/// <summary>A topic or group that reports its counters when a metrics listener collects (pull model: no per-event cost).</summary>
/// <remarks>Thread-safety: called on the collecting thread; implementations read their counters with acquire reads.</remarks>
internal interface IMetricsSource
{
    /// <summary>Adds one measurement per partition of <paramref name="instrument"/>'s kind.</summary>
    void Collect(MetricKind instrument, List<Measurement<long>> measurements);
}

/// <summary>The observable instruments of <see cref="HotPathMetrics"/>.</summary>
internal enum MetricKind
{
    Sent,
    Consumed,
    Retried,
    DeadLettered,
    Skipped,
    Lost,
    Rebalances,
    Lag,
    JournalStart,
    JournalUnacknowledged,
    JournalBytes,
}
