namespace HotPath.Durability;

/// <summary>What opening a durable partition found in its journal.</summary>
/// <param name="Partition">The partition number.</param>
/// <param name="StartOffset">The first offset the journal retains.</param>
/// <param name="EndOffset">The offset the partition continues at: the end of the journal's last whole record.</param>
/// <param name="Segments">The number of segment files.</param>
/// <param name="TruncatedBytes">The bytes of a torn tail that recovery cut off (0 when the journal ended whole).</param>
/// <param name="Detail">One line saying what recovery did.</param>
public sealed record PartitionRecovery(int Partition, long StartOffset, long EndOffset, int Segments, long TruncatedBytes, string Detail);
