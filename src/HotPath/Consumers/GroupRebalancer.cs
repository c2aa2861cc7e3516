using HotPath.Groups;
using HotPath.Internal;

namespace HotPath.Consumers;

/// <summary>
/// Runs a consumer group's rebalances: computes each member's target with the assignor, sends the assignment
/// requests, waits for the members to apply them, and declares failed (fences) the members that miss the deadline.
/// </summary>
/// <remarks>
/// <para>Every partition that moves leaves its old owner (revoke, commit, release) before its new owner is asked to
/// take it, so a partition always passes through "no owner". Eager: every member gives up everything first.
/// Cooperative: only moving partitions are revoked, then assigned in a follow-up round.</para>
/// <para>Thread-safety: every method runs under the group's rebalance lock (one caller at a time), which also guards
/// the member list shared with the group; <see cref="Generation"/> and <see cref="Count"/> from any thread.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class GroupRebalancer<T>
    where T : struct
{
    private readonly ConsumerGroupOptions _options;
    private readonly List<GroupMember<T>> _members;
    private readonly GroupPartition<T>[] _partitions;
    private readonly GroupSubscription<T> _subscription;
    private readonly Func<MemberWorker<T>, Exception?> _checkMember;
    private readonly Action<MemberWorker<T>, Exception> _onFailed;
    private int _generation;
    private long _rebalances;
    private long _shutdownDeadline = long.MaxValue;

    /// <summary>Creates the rebalancer of one group.</summary>
    /// <param name="options">The group's settings.</param>
    /// <param name="members">The group's member list (guarded by the group's rebalance lock).</param>
    /// <param name="subscription">The group's topics and partitions.</param>
    /// <param name="checkMember">
    /// The session watchdog's verdict on a member (<see cref="SessionWatchdog{T}.CheckMember"/>): a rebalance that waits
    /// for a member stuck in its handler fences it after the session time-out, as the watchdog would.
    /// </param>
    /// <param name="onFailed">Told of every member declared failed, with why, under the lock.</param>
    public GroupRebalancer(
        ConsumerGroupOptions options,
        List<GroupMember<T>> members,
        GroupSubscription<T> subscription,
        Func<MemberWorker<T>, Exception?> checkMember,
        Action<MemberWorker<T>, Exception> onFailed)
    {
        _checkMember = checkMember;
        _onFailed = onFailed;
        _options = options;
        _members = members;
        _subscription = subscription;
        _partitions = subscription.Partitions;
    }

    /// <summary>The generation: bumped by every rebalance round. Any thread; acquire.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>How many rebalances ran. Any thread.</summary>
    public long Count => Interlocked.Read(ref _rebalances);

    /// <summary>A deadline <paramref name="timeout"/> from now, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    /// <param name="timeout">The time-out.</param>
    /// <returns>The deadline.</returns>
    public static long DeadlineAfter(TimeSpan timeout) => Environment.TickCount64 + (long)timeout.TotalMilliseconds;

    /// <summary>The time left until <paramref name="deadline"/>, never negative.</summary>
    /// <param name="deadline">A deadline from <see cref="DeadlineAfter"/>.</param>
    /// <returns>The time left.</returns>
    public static TimeSpan Remaining(long deadline) => TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));

    /// <summary>
    /// Cuts the waits of the rebalance in progress (and of later ones) at <paramref name="deadline"/>: Dispose calls
    /// it before it takes the lock, so that it does not queue behind a rebalance waiting for a stuck member. Any thread.
    /// </summary>
    /// <param name="deadline">The shutdown deadline, from <see cref="DeadlineAfter"/>.</param>
    public void BeginShutdown(long deadline) =>
        // Release: the waiting rebalance reads it (acquire) at its next wait slice; a late read only costs one slice.
        Volatile.Write(ref _shutdownDeadline, deadline);

    /// <summary>
    /// Runs a rebalance. Caller holds the group's rebalance lock. Each phase (revocations, then assignments) waits for
    /// its members in parallel, until one <see cref="ConsumerGroupOptions.RebalanceTimeout"/>: a stuck member costs
    /// one time-out, then it is fenced, and the members of the next phase get their own full time to answer.
    /// </summary>
    /// <param name="leaving">A member that leaves: its partitions are revoked first (it commits), or null.</param>
    public void RebalanceLocked(MemberWorker<T>? leaving)
    {
        Interlocked.Increment(ref _rebalances);
        if (leaving is not null)
        {
            Reassign([(leaving, [])]);
        }

        RebalanceProtocol protocol = _options.EffectiveProtocol;
        // Rounds that lose no member: at most three (eager needs one, cooperative a revoking round and its follow-up).
        // A round that loses a member is always followed by another, which hands the lost member's targets to the
        // others; stopping there would leave them without an owner until the next join or leave. Finite: each such
        // round takes a member out of the live set for good (no state returns to Running; nobody joins under the lock).
        int quietRounds = 0;
        while (true)
        {
            // Members that faulted but were not removed yet still hold partitions: take those back first, so that no
            // partition is handed to a live member while another still owns it. In every round: a member may fault
            // during the previous one (its handler threw on the first event of a partition it was just given).
            Reassign(_members.Select(m => m.Worker).Where(w => !w.IsLive && w.CoordinatorView.Length != 0).Select(w => (w, Array.Empty<GroupPartition<T>>())));
            Volatile.Write(ref _generation, _generation + 1);
            List<MemberWorker<T>> live = [.. _members.Select(m => m.Worker).Where(w => w.IsLive)];
            if (protocol == RebalanceProtocol.Eager)
            {
                Reassign(live.Where(w => w.CoordinatorView.Length != 0).Select(w => (w, Array.Empty<GroupPartition<T>>())));
            }

            var subscriptions = new Dictionary<string, Subscription>(StringComparer.Ordinal);
            foreach (MemberWorker<T> worker in live)
            {
                IReadOnlyList<TopicPartition>? owned = protocol == RebalanceProtocol.Cooperative
                    ? [.. worker.CoordinatorView.Select(p => p.Id)]
                    : null;
                subscriptions[worker.MemberId] = new Subscription(_subscription.TopicNames, owned, _generation - 1, worker.GroupInstanceId);
            }

            IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> result =
                subscriptions.Count == 0 ? new Dictionary<string, IReadOnlyList<TopicPartition>>() : _options.Assignor.Assign(_subscription.PartitionsPerTopic, subscriptions);
            Dictionary<MemberWorker<T>, GroupPartition<T>[]> targets = ToTargets(live, result);

            // Phase 1: every partition that moves leaves its old owner first (revoke, commit, release).
            var revocations = new List<(MemberWorker<T>, GroupPartition<T>[])>();
            foreach (MemberWorker<T> worker in live)
            {
                GroupPartition<T>[] keep = [.. worker.CoordinatorView.Where(p => Array.IndexOf(targets[worker], p) >= 0)];
                if (keep.Length != worker.CoordinatorView.Length)
                {
                    revocations.Add((worker, keep));
                }
            }

            Reassign(revocations);

            // Phase 2: the new assignment; every partition in it now has no owner or the same one.
            Reassign(live.Where(w => w.IsLive && !SameSet(w.CoordinatorView, targets[w])).Select(w => (w, targets[w])));

            bool allAssigned = _partitions.All(p => live.Any(w => Array.IndexOf(w.CoordinatorView, p) >= 0)) || live.Count == 0;
            bool lostMember = live.Exists(w => !w.IsLive);
            if (!lostMember && (protocol == RebalanceProtocol.Eager || revocations.Count == 0 || allAssigned))
            {
                break;
            }

            if (!lostMember && ++quietRounds == 3)
            {
                break;
            }

            // Cooperative: the follow-up round hands out the partitions revoked above. Either protocol: a member
            // declared failed during this round held targets that the next round gives to the others.
        }
    }

    private Dictionary<MemberWorker<T>, GroupPartition<T>[]> ToTargets(
        List<MemberWorker<T>> live, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> result)
    {
        var seen = new HashSet<TopicPartition>();
        var targets = new Dictionary<MemberWorker<T>, GroupPartition<T>[]>();
        foreach (MemberWorker<T> worker in live)
        {
            IReadOnlyList<TopicPartition> assigned = result.TryGetValue(worker.MemberId, out var list) ? list : [];
            var target = new GroupPartition<T>[assigned.Count];
            for (int i = 0; i < assigned.Count; i++)
            {
                if (!_subscription.TryGet(assigned[i], out GroupPartition<T>? state) || !seen.Add(assigned[i]))
                {
                    ThrowHelper.InvalidOperation(
                        $"assignor '{_options.Assignor.Name}' returned {assigned[i]} for member '{worker.MemberId}', which is unknown or already assigned");
                }

                target[i] = state!;
            }

            targets[worker] = target;
        }

        return targets;
    }

    /// <summary>Same, until one <see cref="ConsumerGroupOptions.RebalanceTimeout"/> from now.</summary>
    /// <param name="changes">The workers and their targets.</param>
    public void Reassign(IEnumerable<(MemberWorker<T> Worker, GroupPartition<T>[] Target)> changes) =>
        Reassign(changes, DeadlineAfter(_options.RebalanceTimeout));

    /// <summary>
    /// Sends assignment requests to the workers, then waits for all until one <paramref name="deadline"/> (the
    /// requests are applied in parallel, so blocked workers do not add up); a worker that misses it is fenced.
    /// </summary>
    /// <param name="changes">The workers and their targets.</param>
    /// <param name="deadline">From <see cref="DeadlineAfter"/>; a shutdown deadline cuts it short.</param>
    public void Reassign(IEnumerable<(MemberWorker<T> Worker, GroupPartition<T>[] Target)> changes, long deadline)
    {
        var pending = new List<(MemberWorker<T> Worker, int Version, bool Takes)>();
        foreach ((MemberWorker<T> worker, GroupPartition<T>[] target) in changes)
        {
            worker.CoordinatorView = target;
            pending.Add((worker, worker.RequestAssignment(target), target.Length != 0));
        }

        foreach ((MemberWorker<T> worker, int version, bool takes) in pending)
        {
            // A worker that missed the deadline, or whose thread ended (an engine fault), may still own partitions:
            // fence them so that the new owners can take them.
            Exception? missed = WaitApplied(worker, version, deadline);
            if (missed is not null || worker.HasExited)
            {
                DeclareFailed(worker, missed ?? worker.Fault ?? new InvalidOperationException($"the thread of member '{worker.MemberId}' ended during a rebalance"));
            }
            else if (takes && worker.IsLive)
            {
                worker.HasTakenPartitions = true;
            }
        }
    }

    /// <summary>Fences a member that did not reach a safe point in time: it keeps nothing and can commit nothing.</summary>
    /// <param name="worker">The member.</param>
    /// <param name="reason">Why, for <see cref="ConsumerGroupOptions.OnMemberFailed"/>.</param>
    public void DeclareFailed(MemberWorker<T> worker, Exception reason)
    {
        bool wasMember = _members.Exists(m => ReferenceEquals(m.Worker, worker));
        worker.MarkFailed();
        foreach (GroupPartition<T> partition in _partitions)
        {
            partition.Fence(worker);
        }

        worker.CoordinatorView = [];
        _members.RemoveAll(m => ReferenceEquals(m.Worker, worker));
        worker.RequestStop();
        if (wasMember)
        {
            _onFailed(worker, reason);
        }
    }

    /// <summary>
    /// Waits, in slices, until the worker applied request <paramref name="version"/>; null once it did, else why not:
    /// the deadline (or the shutdown deadline) passed, or the watchdog's check says the member is stuck or dead.
    /// </summary>
    private Exception? WaitApplied(MemberWorker<T> worker, int version, long deadline)
    {
        const long SliceMilliseconds = 20;
        while (true)
        {
            // Acquire: pairs with the release in BeginShutdown.
            long until = Math.Min(deadline, Volatile.Read(ref _shutdownDeadline));
            long slice = Math.Clamp(until - Environment.TickCount64, 0, SliceMilliseconds);
            if (worker.WaitApplied(version, TimeSpan.FromMilliseconds(slice)))
            {
                return null;
            }

            if (Environment.TickCount64 >= until)
            {
                return new TimeoutException($"member '{worker.MemberId}' did not reach a safe point before the rebalance or shutdown deadline");
            }

            if (_checkMember(worker) is Exception stuck)
            {
                return stuck;
            }
        }
    }

    private static bool SameSet(GroupPartition<T>[] a, GroupPartition<T>[] b) =>
        a.Length == b.Length && a.All(p => Array.IndexOf(b, p) >= 0);
}
