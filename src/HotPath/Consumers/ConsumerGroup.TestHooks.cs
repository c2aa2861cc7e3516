namespace HotPath.Consumers;

/// <summary>Test hooks (internal, reached through InternalsVisibleTo): deterministic schedules for races.</summary>
public sealed partial class ConsumerGroup<T>
{
    /// <summary>
    /// Runs on the committing thread inside <see cref="Commit"/>, after the ownership check and before the commit:
    /// a test parks the member there to fence it in between. Null outside tests.
    /// </summary>
    internal Action? TestBeforeManualCommit { get; set; }

    /// <summary>
    /// The longest a parked member sleeps without a wake-up (a publish, a control request, completion): a safety net,
    /// 200 ms. A test sets <see cref="Timeout.Infinite"/> so that a lost wake-up hangs the member instead of costing it
    /// 200 ms. Set before members join.
    /// </summary>
    internal int ReaderParkBackstopMilliseconds { get; set; } = HotPath.Partitions.Partition<T>.ReaderParkBackstop;

    /// <summary>Declares <paramref name="member"/> failed (fenced), as the session watchdog does, and rebalances.</summary>
    /// <param name="member">The member to fence.</param>
    internal void TestFence(GroupMember<T> member)
    {
        lock (_rebalanceLock)
        {
            _rebalancer.DeclareFailed(member.Worker, new TimeoutException($"member '{member.MemberId}' fenced by a test"));
            RebalanceLocked(leaving: null);
        }
    }

    /// <summary>The ids of the members the session watchdog keeps a record of now (a snapshot, taken under the lock).</summary>
    /// <returns>The member ids, in no particular order.</returns>
    internal IReadOnlyList<string> TestWatchdogMemberIds()
    {
        lock (_rebalanceLock)
        {
            return [.. _watchdog.Recorded.Select(w => w.MemberId)];
        }
    }

    /// <summary>The group's current cursor on a partition.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <returns>The cursor.</returns>
    internal ReadCursor<T> TestCursor(string topic, int partition) => Find(topic, partition).Cursor;
}
