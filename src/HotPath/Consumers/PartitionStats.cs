using HotPath.Groups;

namespace HotPath.Consumers;

/// <summary>A snapshot of one consumer group's counters on one partition.</summary>
/// <param name="Partition">The topic and partition.</param>
/// <param name="Owner">The member that owns it, or null.</param>
/// <param name="Committed">The committed offset.</param>
/// <param name="EndOffset">The partition's end offset (last published + 1).</param>
/// <param name="Lag">Readable events not yet committed: up to the end offset, or for a read-committed group up to the last
/// stable offset (the first offset of the partition's oldest open transaction).</param>
/// <param name="Handled">Events handed to handlers (redeliveries included; lost events and gaps are not events handed out).</param>
/// <param name="Retried">Failed handler attempts that were retried.</param>
/// <param name="DeadLettered">Events sent to the dead-letter topic.</param>
/// <param name="Skipped">Events skipped by the error policy (dead-lettered ones not included).</param>
/// <param name="Lost">Events a lossy group missed because the writer lapped it.</param>
/// <param name="Gaps">Offsets stepped over because a multi-writer claim there was abandoned (no event was ever published
/// at them); like <paramref name="Handled"/>, a gap passed again after a redelivery counts again, but a transactional
/// member's attempt that its transaction's abort undid counts neither its handler calls nor its gaps.</param>
/// <param name="Aborted">Offsets of aborted transactions a read-committed group stepped over (counted like gaps).</param>
public readonly record struct PartitionStats(
    TopicPartition Partition,
    string? Owner,
    long Committed,
    long EndOffset,
    long Lag,
    long Handled,
    long Retried,
    long DeadLettered,
    long Skipped,
    long Lost,
    long Gaps = 0,
    long Aborted = 0);
