namespace HotPath.Durability;

/// <summary>What opening a durable topic's directory found: its partitions' journals and the groups' stored offsets.</summary>
/// <param name="IsNew">True when the topic's files were created by this open (nothing to recover).</param>
/// <param name="Partitions">Per partition, what its journal held.</param>
/// <param name="GroupOffsets">The committed offsets stored per group and partition, as the groups will resume.</param>
/// <param name="OffsetsDetail">One line saying what the offsets journal held (and any torn tail cut off).</param>
public sealed record TopicRecovery(
    bool IsNew,
    IReadOnlyList<PartitionRecovery> Partitions,
    IReadOnlyDictionary<(string GroupId, int Partition), long> GroupOffsets,
    string OffsetsDetail)
{
    /// <summary>The events the journals hold: the sum over partitions of end - start.</summary>
    public long RetainedEvents => Partitions.Sum(p => p.EndOffset - p.StartOffset);

    /// <summary>The bytes of torn tails cut off, over all partitions.</summary>
    public long TruncatedBytes => Partitions.Sum(p => p.TruncatedBytes);

    /// <summary>One line per partition and one for the offsets.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        string.Join(Environment.NewLine, Partitions.Select(p => p.Detail).Append(OffsetsDetail));
}
