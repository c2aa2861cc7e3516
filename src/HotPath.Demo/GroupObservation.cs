namespace HotPath.Demo;

/// <summary>What one group's handlers saw, plus the group facts the checks need.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Lossy">True for a lossy group, which may miss events but must account for each one.</param>
/// <param name="Seen">Per order index, a bit per step the handlers saw.</param>
/// <param name="PartitionOf">Per order index, the partition its events came from (<see cref="GroupLog.NoPartition"/> if none).</param>
/// <param name="Handled">Events handed to the handlers, duplicates included.</param>
/// <param name="Duplicates">Events seen a second time.</param>
/// <param name="Late">Events that arrived after a later event of the same order.</param>
/// <param name="PartitionMoves">Events that came from another partition than their order's earlier events.</param>
/// <param name="Lost">Events the group's cursors skipped because the writer lapped them (lossy groups only).</param>
/// <param name="Rebalances">The group's rebalance count.</param>
/// <param name="MaxBatchSize">The group's batch limit: the most events one rebalance may redeliver per partition.</param>
internal sealed record GroupObservation(
    string GroupId,
    bool Lossy,
    byte[] Seen,
    byte[] PartitionOf,
    long Handled,
    long Duplicates,
    long Late,
    long PartitionMoves,
    long Lost,
    long Rebalances,
    int MaxBatchSize)
{
    /// <summary>Copies a group's log, summing its members' counters.</summary>
    public static GroupObservation From(GroupLog log, long lost, long rebalances, int maxBatchSize) =>
        new(
            log.GroupId,
            log.Lossy,
            log.Seen.ToArray(),
            log.PartitionOf.ToArray(),
            log.Members.Sum(m => m.Handled),
            log.Members.Sum(m => m.Duplicates),
            log.Members.Sum(m => m.Late),
            log.Members.Sum(m => m.PartitionMoves),
            lost,
            rebalances,
            maxBatchSize);
}
