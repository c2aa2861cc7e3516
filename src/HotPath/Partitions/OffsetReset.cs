namespace HotPath.Partitions;

/// <summary>
/// Where a reader starts on a partition when it has no committed offset: Kafka's <c>auto.offset.reset</c>.
/// </summary>
public enum OffsetReset
{
    /// <summary>
    /// The earliest offset still retained: the position of the slowest lossless reader of the partition, or,
    /// when it has none, the oldest slot the writer has not reused yet. The default, so a group added to a
    /// topic that already holds events sees them.
    /// </summary>
    Earliest = 0,

    /// <summary>The end of the partition: only events published after the reader joined.</summary>
    Latest = 1,
}
