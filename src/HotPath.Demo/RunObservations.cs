namespace HotPath.Demo;

/// <summary>Everything the verification looks at, recorded during a run: no live object, so it can be built by hand in tests.</summary>
/// <param name="PublishedPerOrder">Events published per order index (the publisher's own record).</param>
/// <param name="Groups">What each group's handlers saw.</param>
/// <param name="Samples">Where a few sample keys went.</param>
/// <param name="PartitionerName">The topic's partitioner; with Kafka's, sample keys must sit on Kafka's partitions.</param>
/// <param name="MemberStop">The half-way member stop, or null when none was made.</param>
/// <param name="DrainError">Why the groups did not finish, or null when they did.</param>
/// <param name="ExactlyOnce">What the exactly-once stage's counting groups saw, or null when it did not run.</param>
internal sealed record RunObservations(
    byte[] PublishedPerOrder,
    IReadOnlyList<GroupObservation> Groups,
    IReadOnlyList<KeySample> Samples,
    string PartitionerName,
    MemberStopObservation? MemberStop,
    string? DrainError = null,
    ExactlyOnceObservation? ExactlyOnce = null)
{
    /// <summary>True when the topic used Kafka's partitioner.</summary>
    public bool KafkaPartitioner => PartitionerName == HotPath.Partitioning.Partitioner.Kafka.Name;

    /// <summary>All published events.</summary>
    public long Published => PublishedPerOrder.Sum(b => (long)b);
}
