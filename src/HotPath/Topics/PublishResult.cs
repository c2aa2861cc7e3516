namespace HotPath.Topics;

/// <summary>Where a published event went: its partition and its partition-local offset.</summary>
/// <param name="Partition">The partition number.</param>
/// <param name="Offset">The offset within the partition, from 0.</param>
public readonly record struct PublishResult(int Partition, long Offset);
