using HotPath.Diagnostics;
using HotPath.Groups;
using HotPath.Internal;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Consumers;

/// <summary>
/// A consumer group over one or more topics: its own committed offset per partition, partitions shared among
/// its members (each owned by at most one member at a time), and every event of every partition handled by the
/// group. Several groups over the same topic each get every event (fan-out) from the same slots: no copy.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para><b>Lifetime.</b> Creating the group registers its cursors with every partition at once (per
/// <see cref="ConsumerGroupOptions.AutoOffsetReset"/>): from then on the writers keep every event the group has
/// not committed, even while it has no member. Members join with <c>Join</c>; each runs on a dedicated thread.</para>
/// <para><b>Rebalancing.</b> Joining, leaving and member failures rebalance the group synchronously on the calling
/// thread (serialised by a lock): the old owner of a moving partition commits and runs its revoke callback
/// before the new owner's assign callback runs and it resumes from the committed offset. Eager: every member
/// gives up everything first. Cooperative: only moving partitions are revoked, then assigned in a follow-up round.</para>
/// <para><b>Threading model.</b> A member's handler runs only on that member's thread, one partition batch at a
/// time. A slow handler delays only its own member's partitions; it slows a writer only once that partition's
/// ring is full, and never another group (each group has its own cursors and threads).</para>
/// <para>Thread-safety: every public member is safe from any thread.</para>
/// </remarks>
public sealed partial class ConsumerGroup<T> : IDisposable, IAsyncDisposable
    where T : struct
{
    private readonly object _rebalanceLock = new();
    private readonly List<GroupMember<T>> _members = [];
    private readonly GroupSubscription<T> _subscription;
    private readonly GroupPartition<T>[] _partitions;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SessionWatchdog<T> _watchdog;
    private readonly GroupRebalancer<T> _rebalancer;
    private int _drainedSignalled;
    private Exception? _backgroundError;
    private int _memberSequence;
    private bool _disposed;

    /// <summary>True once the group drained and stopped its members (see <see cref="Completion"/>). Under the rebalance lock.</summary>
    private bool _drained;
    private (MemberWorker<T> Worker, Exception Reason, long Since)? _stranded;
    private MemberWorker<T>? _joining;

    /// <summary>Creates a group over one topic.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="options">The group's settings; validated here.</param>
    public ConsumerGroup(Topic<T> topic, ConsumerGroupOptions options)
        : this(GroupArguments.SingleTopic(topic), options)
    {
    }

    /// <summary>Creates a group subscribed to several topics of the same event type.</summary>
    /// <param name="topics">The topics, at least one, with distinct names.</param>
    /// <param name="options">The group's settings; validated here.</param>
    public ConsumerGroup(IReadOnlyList<Topic<T>> topics, ConsumerGroupOptions options)
    {
        if (topics is null)
        {
            ThrowHelper.ArgumentNull(nameof(topics));
        }

        if (options is null)
        {
            ThrowHelper.ArgumentNull(nameof(options));
        }

        if (topics.Count == 0)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(topics), "must hold at least one topic", topics.Count);
        }

        options.Validate();
        options.ErrorPolicy.Validate<T>();
        Options = options;
        _subscription = new GroupSubscription<T>(topics, options);
        _partitions = _subscription.Partitions;
        try
        {
            // The watchdog is assigned below, before any rebalance can run: no member exists until the constructor returns.
            _rebalancer = new GroupRebalancer<T>(options, _members, _subscription, w => _watchdog!.CheckMember(w), OnMemberLost);
            HotPathMetrics.Register(this, new GroupMetricsSource<T>(this, _partitions));
            _watchdog = new SessionWatchdog<T>(
                options.GroupId, options.SessionTimeout, options.MaxPollInterval, _partitions, () => RunInBackground(static g => g.CheckSessions()));
        }
        catch
        {
            // A constructor that throws leaves nothing behind: no cursor may gate the writers of a group nobody holds.
            HotPathMetrics.Unregister(this);
            _subscription.Close();
            throw;
        }

        // Created over topics already complete with nothing left to commit (registered at their end): drained, and no
        // member will ever pass to notice it.
        OnPartitionDrained();
    }

    /// <summary>
    /// Completes when every topic of the group is complete and the group committed every event published before that
    /// (it has drained); the members then leave and their threads end. A group without members drains too: one
    /// created over topics already complete with nothing to commit completes at once, one whose last member leaves
    /// once everything is committed completes with that leave, and one whose topics complete while it has no member
    /// completes within a session-watchdog tick (a quarter of the shorter of <see cref="ConsumerGroupOptions.SessionTimeout"/>
    /// and <see cref="ConsumerGroupOptions.MaxPollInterval"/>). Faults when the group cannot drain: a member
    /// faulted or was declared failed leaving no member, the topics are complete, and no member joined within
    /// <see cref="ConsumerGroupOptions.RebalanceTimeout"/> (the inner exception is the member's error). A lossless group
    /// without members keeps its committed offsets and keeps gating the writers: join a member to resume, or dispose the
    /// group to release them. <see cref="ConsumerGroupOptions.OnMemberFailed"/> hears of every failure at once.
    /// Canceled by Dispose.
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>The group's counters per partition. A snapshot; any thread.</summary>
    /// <returns>One entry per partition, in topic then partition order.</returns>
    public IReadOnlyList<PartitionStats> GetStats() =>
        [.. _partitions.Select(p =>
        {
            ReadCursor<T> cursor = p.Cursor;
            long end = p.Partition.EndOffset;
            long committed = cursor.Committed;
            // Read-committed, the lag is measured against the last stable offset (read after the end).
            long readable = cursor.IsReadCommitted ? Math.Min(end, p.Partition.Transactions.LastStable) : end;
            return new PartitionStats(
                p.Id, p.Owner?.MemberId, committed, end, Math.Max(0, readable - committed),
                p.Counters.Handled, p.Counters.Retried, p.Counters.DeadLettered, p.Counters.Skipped, cursor.Lost, cursor.Gaps, cursor.Aborted);
        })];

    /// <summary>The group's settings.</summary>
    public ConsumerGroupOptions Options { get; }

    /// <summary>The group id.</summary>
    public string GroupId => Options.GroupId;

    /// <summary>The generation: bumped by every rebalance round.</summary>
    public int Generation => _rebalancer.Generation;

    /// <summary>How many rebalances the group went through.</summary>
    public long RebalanceCount => _rebalancer.Count;

    /// <summary>The current members, in join order. A snapshot.</summary>
    public IReadOnlyList<GroupMember<T>> Members
    {
        get
        {
            lock (_rebalanceLock)
            {
                return [.. _members];
            }
        }
    }

    /// <summary>The current assignment, by member id. A snapshot.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assignment
    {
        get
        {
            lock (_rebalanceLock)
            {
                return _members.ToDictionary(
                    m => m.MemberId,
                    m => (IReadOnlyList<TopicPartition>)[.. m.Worker.CoordinatorView.Select(p => p.Id)],
                    StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Every partition the group reads, in topic then partition order.</summary>
    public IReadOnlyList<TopicPartition> Partitions => [.. _partitions.Select(p => p.Id)];

    /// <summary>The group's committed offset on a partition: the next offset it will read after a restart.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <returns>The committed offset.</returns>
    public long GetCommittedOffset(string topic, int partition) => Find(topic, partition).Committed;

    /// <summary>Published events the group has not committed on a partition (end offset - committed offset).</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <returns>The lag.</returns>
    public long GetLag(string topic, int partition) => Find(topic, partition).Lag;

    /// <summary>The member that owns a partition now, or null.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <returns>The owner's member id, or null.</returns>
    public string? GetOwner(string topic, int partition) => Find(topic, partition).Owner?.MemberId;

    /// <summary>
    /// Commits <paramref name="nextOffset"/> on a partition (the next offset to read, as in Kafka). For
    /// <see cref="CommitMode.Manual"/>: call it from the handler, on the owning member's thread.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="nextOffset">Between the committed offset and the member's position.</param>
    /// <exception cref="InvalidOperationException">Not called on the partition owner's thread, or the owner was declared
    /// failed (fenced) meanwhile: then nothing was committed.</exception>
    /// <exception cref="ObjectDisposedException">The group was disposed.</exception>
    public void Commit(string topic, int partition, long nextOffset)
    {
        ThrowIfDisposed();
        Find(topic, partition).CommitFromHandler(nextOffset, TestBeforeManualCommit);
    }

    /// <summary>The owner's cursor of a partition for a transaction's offsets, or null with the reason (see <see cref="GroupPartition{T}.CursorForTransaction"/>).</summary>
    internal ReadCursor<T>? CursorForTransaction(
        string topic, int partition, out GroupPartition<T> state, out MemberWorker<T>? owner, out string? refusal)
    {
        ThrowIfDisposed();
        state = Find(topic, partition);
        return state.CursorForTransaction(out owner, out refusal);
    }

    /// <summary>
    /// Moves the group's position on a partition to <paramref name="offset"/> within the retained window; the
    /// owner applies it between batches (this call waits for that), or at once when the partition has no owner.
    /// The committed offset moves with it. On a durable topic whose offsets the group stores, a seek below an offset a
    /// transaction committed stores the sought offset before it returns, so the group resumes there after a restart.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="offset">From the partition's start offset (slowest lossless reader) to its end offset.</param>
    /// <exception cref="ArgumentOutOfRangeException">Outside the retained window; the message gives the window.</exception>
    /// <exception cref="ObjectDisposedException">The group was disposed.</exception>
    /// <exception cref="TimeoutException">
    /// The owner did not reach a safe point within <see cref="ConsumerGroupOptions.RebalanceTimeout"/>; the seek was
    /// withdrawn and is never applied.
    /// </exception>
    public void Seek(string topic, int partition, long offset)
    {
        GroupPartition<T> state = Find(topic, partition);
        MemberWorker<T>? owner;
        PendingSeek<T> pending;
        lock (_rebalanceLock)
        {
            ThrowIfDisposed();
            owner = state.Owner;
            if (owner is null)
            {
                state.Cursor.Seek(offset);
                _subscription.AfterSeek(state, offset);
                return;
            }

            if (owner.IsCurrentThread)
            {
                ThrowHelper.InvalidOperation($"seek of {state.Id} from its owner's handler would deadlock: call it from another thread");
            }

            pending = owner.RequestSeek(state, offset);
        }

        // Outside the lock: a member stuck in its handler must not hold up rebalances, the watchdog or Dispose.
        owner.AwaitSeek(pending, Options.RebalanceTimeout);
        _subscription.AfterSeek(state, offset);
    }

    /// <summary>
    /// Stops every member after its current batch (committing what it handled) and unregisters the group from the
    /// partitions. Waits at most <see cref="ConsumerGroupOptions.ShutdownTimeout"/> for members; a member still inside
    /// its handler then is fenced and abandoned (its thread ends when the handler returns). Idempotent; never hangs.
    /// </summary>
    /// <remarks>Thread-safety: any thread. <see cref="DisposeAsync"/> does the same without blocking the caller.</remarks>
    public void Dispose()
    {
        if (BeginDispose() is not { } disposal)
        {
            return;
        }

        foreach (GroupMember<T> member in disposal.Members)
        {
            member.Worker.Join(GroupRebalancer<T>.Remaining(disposal.Deadline));
        }

        EndDispose();
    }

    /// <summary>
    /// The first disposal's rebalance (null for later ones): takes every partition back (members commit; one stuck past the
    /// shutdown deadline is fenced) and asks every member to stop. Blocks while the members revoke. The caller then waits
    /// for the returned members' threads until the deadline, and ends with <see cref="EndDispose"/>.
    /// </summary>
    private (List<GroupMember<T>> Members, long Deadline)? BeginDispose()
    {
        // One deadline for the whole call, set before taking the lock: a rebalance holding it (a Leave waiting for a
        // stuck member) stops waiting at this deadline, instead of making Dispose queue behind it.
        long deadline = GroupRebalancer<T>.DeadlineAfter(Options.ShutdownTimeout);
        _rebalancer.BeginShutdown(deadline);
        lock (_rebalanceLock)
        {
            if (_disposed)
            {
                return null;
            }

            // Release: pairs with the acquire in ThrowIfDisposed.
            Volatile.Write(ref _disposed, true);
            _watchdog.Dispose();
            return (StopAllMembersLocked(deadline), deadline);
        }
    }

    /// <summary>Unregisters the group from the partitions and the metrics, and cancels <see cref="Completion"/>.</summary>
    private void EndDispose()
    {
        _subscription.Close();
        HotPathMetrics.Unregister(this);
        _completion.TrySetCanceled();
    }

    /// <summary>
    /// Takes every partition back from every member (they commit; one stuck past <paramref name="deadline"/> is fenced),
    /// asks them all to stop and empties the member list. Caller holds the rebalance lock; it joins the returned members'
    /// threads after releasing it.
    /// </summary>
    private List<GroupMember<T>> StopAllMembersLocked(long deadline)
    {
        List<GroupMember<T>> members = [.. _members];
        _rebalancer.Reassign(members.Select(m => (m.Worker, Array.Empty<GroupPartition<T>>())), deadline);
        members.ForEach(m => m.Worker.RequestStop());
        _members.Clear();
        _watchdog.ForgetDeparted(_members);
        return members;
    }

    internal IReadOnlyList<TopicPartition> AssignmentOf(MemberWorker<T> worker)
    {
        lock (_rebalanceLock)
        {
            return [.. worker.CoordinatorView.Select(p => p.Id)];
        }
    }

    internal void Leave(GroupMember<T> member)
    {
        // A member fenced by the rebalance (stuck in its handler) has already waited out its time-out: do not wait again.
        if (LeaveRebalance(member) && member.State != MemberState.Failed)
        {
            member.Worker.Join(Options.RebalanceTimeout);
        }
    }

    /// <summary>
    /// The leave's rebalance: takes the member out (its partitions revoked, committing what it handled, and handed to the
    /// others) and asks it to stop. Blocks while the members revoke and take. False when the member had left already.
    /// </summary>
    private bool LeaveRebalance(GroupMember<T> member)
    {
        lock (_rebalanceLock)
        {
            if (!_members.Remove(member))
            {
                return false;
            }

            try
            {
                RebalanceLocked(member.Worker);
            }
            finally
            {
                // Stopped even when the rebalance throws (a throwing assignor; the caller gets its exception): the member
                // gave its partitions up first, and out of the member list nothing else would ever stop it.
                member.Worker.RequestStop();
            }

            if (_members.Count == 0)
            {
                // The last member committed what it handled: if that drained the group, no member is left to notice.
                OnPartitionDrained();
            }

            return true;
        }
    }

    /// <summary>
    /// Runs a rebalance (caller holds the lock), then has the watchdog forget the members that are no longer in the
    /// group, even when the rebalance threw: its waits ask the watchdog about the members it waits for, which records
    /// a member that is leaving or about to be declared failed again.
    /// </summary>
    /// <param name="leaving">A member that leaves (already out of the member list), or null.</param>
    private void RebalanceLocked(MemberWorker<T>? leaving)
    {
        try
        {
            _rebalancer.RebalanceLocked(leaving);
        }
        finally
        {
            _watchdog.ForgetDeparted(_members);
        }
    }

    /// <summary>Adds a member made by <paramref name="create"/> (its id and core); every Join ends here.</summary>
    internal GroupMember<T> AddMember(string? memberId, string? groupInstanceId, Func<string, int?, MemberWorker<T>> create)
    {
        GroupArguments.CheckMemberIds(memberId, groupInstanceId);
        lock (_rebalanceLock)
        {
            ThrowIfDisposed();
            if (_drained)
            {
                ThrowHelper.InvalidOperation(
                    $"consumer group '{GroupId}' has drained and completed (its topics are complete and it committed every event), so its members ended: a member joining now would read nothing and never be stopped; create a new group to read the topics again");
            }

            int sequence = _memberSequence++;
            string id = memberId ?? $"{GroupId}-{sequence:D4}";
            if (_members.Exists(m => m.MemberId == id))
            {
                ThrowHelper.Argument(nameof(memberId), $"{nameof(memberId)} must be unique in group '{GroupId}', '{id}' is taken");
            }

            int? core = Options.Cores is { Count: > 0 } cores ? cores[sequence % cores.Count] : null;
            MemberWorker<T> worker = create(id, core);
            var member = new GroupMember<T>(this, worker);
            worker.Start();
            _members.Add(member);
            _joining = worker;
            try
            {
                RebalanceLocked(leaving: null);
            }
            finally
            {
                _joining = null;
            }

            if (worker.State == MemberState.Failed && !worker.HasTakenPartitions)
            {
                // Fenced and removed by its own join's rebalance before it took any partition: the join had no effect
                // (the next round handed its partitions back to the others), and the caller learns it.
                ThrowHelper.Timeout($"join of member '{id}' to group '{GroupId}' (it did not take its partitions in time and was removed)", Options.RebalanceTimeout);
            }

            if (worker.State != MemberState.Failed)
            {
                // A member that took partitions and then failed in a later round of this rebalance was reported like
                // any failure (OnMemberLost); it is returned, Failed, and leaves the group as stranded as it was.
                _stranded = null;
            }

            return member;
        }
    }

    private void ThrowIfDisposed()
    {
        // Acquire: pairs with the write in Dispose (under the lock; callers outside it see it at the latest on their
        // next call, a best-effort check for misuse, not a synchronisation).
        if (Volatile.Read(ref _disposed))
        {
            ThrowHelper.ObjectDisposed($"consumer group '{GroupId}'");
        }
    }

    private GroupPartition<T> Find(string topic, int partition)
    {
        GroupArguments.CheckTopicName(topic);
        if (!_subscription.TryGet(new TopicPartition(topic, partition), out GroupPartition<T>? state))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(partition), $"must name a partition the group '{GroupId}' reads (topic '{topic}')", partition);
        }

        return state!;
    }
}
