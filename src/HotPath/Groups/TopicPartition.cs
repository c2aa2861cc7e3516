namespace HotPath.Groups;

/// <summary>
/// One partition of a topic, the unit a partition assignor hands to a group member.
/// Thread-safety: immutable value; safe to share between threads.
/// </summary>
/// <param name="Topic">The topic name.</param>
/// <param name="Partition">The zero-based partition index within <paramref name="Topic"/>.</param>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    /// <summary>Formats the partition the way Kafka does, as <c>topic-partition</c>.</summary>
    /// <returns>The topic name, a dash and the partition index.</returns>
    public override string ToString() => Topic + "-" + Partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
