namespace HotPath.Groups;

/// <summary>
/// Orders partitions by topic (ordinal, as Java's <c>String.compareTo</c>) and then by partition index.
/// Thread-safety: stateless singleton; safe from any thread.
/// </summary>
internal sealed class TopicPartitionOrder : IComparer<TopicPartition>
{
    /// <summary>The shared instance.</summary>
    public static readonly TopicPartitionOrder Instance = new();

    private TopicPartitionOrder()
    {
    }

    /// <inheritdoc/>
    public int Compare(TopicPartition x, TopicPartition y)
    {
        int byTopic = string.CompareOrdinal(x.Topic, y.Topic);
        return byTopic != 0 ? byTopic : x.Partition.CompareTo(y.Partition);
    }
}
