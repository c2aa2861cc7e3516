using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace HotPath.Diagnostics;

/// <summary>
/// The library's <see cref="Meter"/>, named <c>HotPath</c>, with instruments that follow the OpenTelemetry messaging
/// semantic conventions: <c>messaging.client.sent.messages</c>, <c>messaging.client.consumed.messages</c> and
/// <c>messaging.process.duration</c>, tagged with <c>messaging.system</c> (<c>hotpath</c>),
/// <c>messaging.destination.name</c>, <c>messaging.destination.partition.id</c> and
/// <c>messaging.consumer.group.name</c>; plus <c>hotpath.consumer.*</c> counters for retries, dead letters, skips,
/// losses, rebalances and lag.
/// </summary>
/// <remarks>
/// Counts are observable instruments read from the engine's own counters when a listener collects, so publishing
/// and handling pay nothing per event. <c>messaging.process.duration</c> is a histogram recorded once per handled
/// batch, only while a listener is enabled, with tags built once per partition (no allocation).
/// Thread-safety: any thread.
/// </remarks>
public static class HotPathMetrics
{
    /// <summary>The meter name: <c>HotPath</c>.</summary>
    public const string MeterName = "HotPath";

    private static readonly ConditionalWeakTable<object, IMetricsSource> s_sources = [];

    static HotPathMetrics()
    {
        Meter = new Meter(MeterName, typeof(HotPathMetrics).Assembly.GetName().Version?.ToString());
        Meter.CreateObservableCounter("messaging.client.sent.messages", () => Collect(MetricKind.Sent), "{message}", "Events published, per topic partition.");
        Meter.CreateObservableCounter("messaging.client.consumed.messages", () => Collect(MetricKind.Consumed), "{message}", "Events handed to handlers, per group and partition.");
        Meter.CreateObservableCounter("hotpath.consumer.retried", () => Collect(MetricKind.Retried), "{message}", "Handler attempts that failed and were retried.");
        Meter.CreateObservableCounter("hotpath.consumer.dead_lettered", () => Collect(MetricKind.DeadLettered), "{message}", "Events sent to a dead-letter topic.");
        Meter.CreateObservableCounter("hotpath.consumer.skipped", () => Collect(MetricKind.Skipped), "{message}", "Events skipped by the error policy.");
        Meter.CreateObservableCounter("hotpath.consumer.lost", () => Collect(MetricKind.Lost), "{message}", "Events a lossy group missed because the writer lapped it.");
        Meter.CreateObservableCounter("hotpath.consumer.rebalances", () => Collect(MetricKind.Rebalances), "{rebalance}", "Rebalances per group.");
        Meter.CreateObservableGauge("hotpath.consumer.lag", () => Collect(MetricKind.Lag), "{message}", "Published events not yet committed, per group and partition.");
        Meter.CreateObservableGauge("hotpath.journal.start_offset", () => Collect(MetricKind.JournalStart), "{offset}", "The first offset a durable partition's journal retains (retention moves it up).");
        Meter.CreateObservableGauge("hotpath.journal.unacknowledged", () => Collect(MetricKind.JournalUnacknowledged), "{message}", "Published events of a durable partition not yet acknowledged by its journal.");
        Meter.CreateObservableGauge("hotpath.journal.size", () => Collect(MetricKind.JournalBytes), "By", "Bytes of a durable partition's journal segments.");
        ProcessDuration = Meter.CreateHistogram<double>("messaging.process.duration", "s", "Duration of handling one batch of events.");
    }

    /// <summary>The meter.</summary>
    public static Meter Meter { get; }

    internal static Histogram<double> ProcessDuration { get; }

    internal static void Register(object owner, IMetricsSource source) => s_sources.AddOrUpdate(owner, source);

    internal static void Unregister(object owner) => s_sources.Remove(owner);

    private static List<Measurement<long>> Collect(MetricKind kind)
    {
        var measurements = new List<Measurement<long>>();
        foreach (KeyValuePair<object, IMetricsSource> source in s_sources)
        {
            source.Value.Collect(kind, measurements);
        }

        return measurements;
    }
}
