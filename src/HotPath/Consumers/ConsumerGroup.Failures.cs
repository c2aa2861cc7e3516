using HotPath.Groups;
using HotPath.Internal;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>
/// The group's reactions to what happens to its members off the caller's thread: a faulted member, a drained group,
/// the session watchdog's checks (members stuck or dead, a group left without members), and the errors of that
/// background work. Each runs under the rebalance lock, on a pool thread or the watchdog's.
/// </summary>
public sealed partial class ConsumerGroup<T>
{
    /// <summary>
    /// A member's handler threw: move its partitions on a pool thread (the member keeps applying requests), then stop
    /// the member and report it. Stopped and reported even when that rebalance throws (its exception goes to
    /// <see cref="BackgroundError"/>).
    /// </summary>
    internal void OnMemberFaulted(MemberWorker<T> worker) =>
        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                (ConsumerGroup<T> group, MemberWorker<T> faulted) = state;
                group.RunInBackground(g =>
                {
                    lock (g._rebalanceLock)
                    {
                        GroupMember<T>? member = g._members.Find(m => ReferenceEquals(m.Worker, faulted));
                        if (member is null || g._disposed)
                        {
                            return;
                        }

                        g._members.Remove(member);
                        try
                        {
                            g.RebalanceLocked(faulted);
                        }
                        finally
                        {
                            // Whatever the rebalance did (a throwing assignor goes on to BackgroundError), the member
                            // is out of the group: its thread ends and its failure is reported.
                            faulted.RequestStop();
                            g.OnMemberLost(faulted, faulted.Fault ?? new InvalidOperationException($"member '{faulted.MemberId}' faulted"));
                        }
                    }
                });
            },
            (this, worker),
            preferLocal: false);

    /// <summary>
    /// The last exception thrown by the group's background work (a rebalance after a failure, the session
    /// watchdog, completion), or null. Such work never crashes the process; it records the error here and the next
    /// rebalance retries. Any thread.
    /// </summary>
    public Exception? BackgroundError => Volatile.Read(ref _backgroundError);

    private void RunInBackground(Action<ConsumerGroup<T>> work)
    {
        try
        {
            work(this);
        }
        catch (Exception ex)
        {
            RecordBackgroundError(ex);
        }
    }

    /// <summary>Keeps <paramref name="error"/> as <see cref="BackgroundError"/>: work off the caller's thread failed. Any thread.</summary>
    internal void RecordBackgroundError(Exception error) =>
        // Release: a monitor reading BackgroundError sees the whole exception object.
        Volatile.Write(ref _backgroundError, error);

    /// <summary>
    /// A member saw one of its partitions drained, or the group has no member (created, its last member left, the
    /// watchdog's tick): if all partitions are drained, complete the group and stop its members.
    /// </summary>
    internal void OnPartitionDrained()
    {
        if (Volatile.Read(ref _drainedSignalled) != 0 || !_partitions.All(p => p.IsDrained))
        {
            return;
        }

        // CAS: exactly one caller completes the group.
        if (Interlocked.Exchange(ref _drainedSignalled, 1) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static group => group.RunInBackground(static group =>
            {
                List<GroupMember<T>> members;
                long deadline = GroupRebalancer<T>.DeadlineAfter(group.Options.ShutdownTimeout);
                lock (group._rebalanceLock)
                {
                    // Decided without the lock: a Seek back (or a member's replay) since then undrained the group. Seek and
                    // Join take this lock, so the check here is final; the release lets the next drained pass signal again.
                    if (!group._partitions.All(p => p.IsDrained))
                    {
                        Volatile.Write(ref group._drainedSignalled, 0);
                        return;
                    }

                    members = group.StopAllMembersLocked(deadline);
                    // Under the lock, as the check in AddMember: a member that joined before this was just stopped; one
                    // that joins after is refused (nothing would ever stop it: the drained signal is given once).
                    group._drained = true;
                }

                members.ForEach(m => m.Worker.Join(GroupRebalancer<T>.Remaining(deadline)));
                group._completion.TrySetResult();
            }),
            this,
            preferLocal: false);
    }

    /// <summary>
    /// The session watchdog's check (its thread, every tick): members stuck in their handler or dead (see
    /// <see cref="SessionWatchdog{T}"/>) are declared failed (fenced) and the group rebalances without them. Skips the
    /// tick when a rebalance holds the lock.
    /// </summary>
    private void CheckSessions()
    {
        if (!Monitor.TryEnter(_rebalanceLock))
        {
            return;
        }

        try
        {
            if (_disposed)
            {
                return;
            }

            List<(MemberWorker<T> Worker, Exception Reason)> failed = _watchdog.FindFailed(_members.Select(m => m.Worker));
            foreach ((MemberWorker<T> worker, Exception reason) in failed)
            {
                _rebalancer.DeclareFailed(worker, reason);
            }

            if (failed.Count != 0)
            {
                RebalanceLocked(leaving: null);
            }

            CheckMemberless();
        }
        finally
        {
            Monitor.Exit(_rebalanceLock);
        }
    }

    /// <summary>
    /// A member faulted or was declared failed and left the member list (caller holds the lock): tell
    /// <see cref="ConsumerGroupOptions.OnMemberFailed"/> on a pool thread, and remember when it was the last member (see
    /// <see cref="CheckMemberless"/>). Not during shutdown or the end of a drained group, where members stop on purpose.
    /// </summary>
    private void OnMemberLost(MemberWorker<T> worker, Exception reason)
    {
        // Acquire: pairs with the exchange in OnPartitionDrained; a drained group ends its members on purpose. A member
        // that fails its own join before it took partitions is no loss: the join throws instead (AddMember).
        if (_disposed || Volatile.Read(ref _drainedSignalled) != 0 || (ReferenceEquals(worker, _joining) && !worker.HasTakenPartitions))
        {
            return;
        }

        int remaining = _members.Count;
        if (remaining == 0)
        {
            _stranded = (worker, reason, Environment.TickCount64);
        }

        if (Options.OnMemberFailed is { } callback)
        {
            var failure = new MemberFailure(GroupId, worker.MemberId, worker.State, reason, remaining);
            ThreadPool.UnsafeQueueUserWorkItem(
                static state =>
                {
                    try
                    {
                        state.Callback(state.Failure);
                    }
                    catch (Exception)
                    {
                        // A throwing callback must not take the group's background work down; the state still tells.
                    }
                },
                (Callback: callback, Failure: failure),
                preferLocal: false);
        }
    }

    /// <summary>
    /// The watchdog's tick, under the lock, for a group without members, which no member's pass can complete. One that
    /// has drained (its topics completed after its last member left, or it never had one, or its last member failed
    /// after committing everything) completes. One that a failure left without members cannot drain by itself: once
    /// its topics are complete and no member joined for a rebalance time-out (the grace a supervisor has to replace the
    /// failed member, as a Kafka coordinator waits that long for members to rejoin), <see cref="Completion"/> faults
    /// with the last member's error.
    /// </summary>
    private void CheckMemberless()
    {
        if (_members.Count != 0 || _completion.Task.IsCompleted)
        {
            return;
        }

        if (_partitions.All(p => p.IsDrained))
        {
            OnPartitionDrained();
            return;
        }

        if (_stranded is { } stranded && _partitions.All(p => p.Partition.IsCompleted)
            && Environment.TickCount64 - stranded.Since >= (long)Options.RebalanceTimeout.TotalMilliseconds)
        {
            _completion.TrySetException(new InvalidOperationException(
                $"consumer group '{GroupId}' cannot drain: its topics are complete and it has had no member since member '{stranded.Worker.MemberId}' " +
                $"{stranded.Worker.State.ToString().ToLowerInvariant()} ({stranded.Reason.Message}); its partitions keep their committed offsets and a " +
                "lossless group keeps gating the writers: join a member to resume, or dispose the group",
                stranded.Reason));
        }
    }
}
