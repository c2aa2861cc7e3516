namespace HotPath.Durability;

/// <summary>One committed offset: the next offset <paramref name="GroupId"/> reads from <paramref name="Partition"/>.</summary>
/// <param name="GroupId">The consumer group: 1 to 255 UTF-8 bytes.</param>
/// <param name="Partition">The partition, at least 0.</param>
/// <param name="Offset">The committed offset, at least 0.</param>
/// <remarks>Thread-safety: immutable.</remarks>
internal readonly record struct OffsetEntry(string GroupId, int Partition, long Offset);
