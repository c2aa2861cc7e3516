namespace HotPath.Durability;

/// <summary>One committed offset: the next offset <paramref name="GroupId"/> reads from <paramref name="Partition"/>.</summary>
/// <param name="GroupId">The consumer group: 1 to 255 UTF-8 bytes.</param>
/// <param name="Partition">The partition, at least 0.</param>
/// <param name="Offset">The committed offset, at least 0; or <see cref="Deleted"/>: the stored offset is deleted.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal readonly record struct OffsetEntry(string GroupId, int Partition, long Offset)
{
    /// <summary>The offset of a tombstone: the group's stored offset on the partition is deleted (it resumes as new).</summary>
    public const long Deleted = -1;
}
