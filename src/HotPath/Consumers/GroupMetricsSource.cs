using System.Diagnostics.Metrics;
using HotPath.Diagnostics;

namespace HotPath.Consumers;

/// <summary>Reports one consumer group's counters to <see cref="HotPathMetrics"/> when a listener collects them.</summary>
/// <remarks>Thread-safety: any thread; every value read is a snapshot (the counters are written by member threads).</remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class GroupMetricsSource<T>(ConsumerGroup<T> group, GroupPartition<T>[] partitions) : IMetricsSource
    where T : struct
{
    /// <inheritdoc/>
    public void Collect(MetricKind instrument, List<Measurement<long>> measurements)
    {
        if (instrument == MetricKind.Rebalances)
        {
            measurements.Add(new(group.RebalanceCount, new KeyValuePair<string, object?>("messaging.consumer.group.name", group.GroupId)));
            return;
        }

        foreach (GroupPartition<T> partition in partitions)
        {
            long value = instrument switch
            {
                MetricKind.Consumed => partition.Counters.Handled,
                MetricKind.Retried => partition.Counters.Retried,
                MetricKind.DeadLettered => partition.Counters.DeadLettered,
                MetricKind.Skipped => partition.Counters.Skipped,
                MetricKind.Lost => partition.Cursor.Lost,
                MetricKind.Lag => partition.Lag,
                _ => -1,
            };
            if (value >= 0)
            {
                measurements.Add(new(
                    value,
                    new KeyValuePair<string, object?>("messaging.system", "hotpath"),
                    new KeyValuePair<string, object?>("messaging.destination.name", partition.Id.Topic),
                    new KeyValuePair<string, object?>("messaging.destination.partition.id", partition.PartitionTag),
                    new KeyValuePair<string, object?>("messaging.consumer.group.name", group.GroupId)));
            }
        }
    }
}
