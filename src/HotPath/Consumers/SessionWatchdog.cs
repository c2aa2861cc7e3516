namespace HotPath.Consumers;

/// <summary>
/// The session watchdog of one consumer group: a dedicated thread that asks the group, every tick, to check its
/// members, and the bookkeeping of that check. Two signals, as Kafka separates <c>session.timeout.ms</c> from
/// <c>max.poll.interval.ms</c>:
/// <list type="bullet">
/// <item><b>Liveness</b> (<see cref="ConsumerGroupOptions.SessionTimeout"/>): the member's progress — the positions of
/// the partitions it owns, which move with every event handed to its handler, plus its loop heartbeat. A member that
/// owns partitions, is not idle, and shows no progress for the session time-out is stuck in one handler call (or a
/// callback); a member whose thread ended while it owned partitions is dead.</item>
/// <item><b>Poll interval</b> (<see cref="ConsumerGroupOptions.MaxPollInterval"/>): the member's heartbeat
/// (<see cref="MemberWorker{T}.Heartbeat"/>), which ticks once per pass of its loop (a batch of up to
/// <c>MaxBatchSize</c> events from each partition it owns). A member whose heartbeat stands still for the poll interval
/// spends too long on one pass.</item>
/// </list>
/// A pull consumer (<see cref="GroupConsumer{T}"/>) is polled by its caller, not by its thread: its poll interval is
/// checked on the caller's calls instead (<see cref="MemberWorker{T}.PollOverdue"/>, first).
/// </summary>
/// <remarks>
/// <para>Memory ordering: both signals are written by the member's thread with plain or release stores and read here
/// with acquire reads, racily by design: the check only compares values across ticks, so a stale value can only delay
/// a verdict by a tick, never produce a wrong one (a value that moved is progress; one that did not move is the value
/// the member last stored). Positions are read through the partitions the member owns now (acquire reads of each
/// partition's owner and cursor), which also covers a member that a pending rebalance request asks to give them up.</para>
/// <para>A dedicated thread rather than a pool timer: a starved thread pool must not delay the detection of stuck
/// members. Thread-safety: <see cref="FindFailed"/> and <see cref="CheckMember"/> run under the group's rebalance lock
/// (one caller at a time), as does <see cref="ForgetDeparted"/>, which the group calls after every rebalance so that
/// no record outlives its member's membership; <see cref="Dispose"/> from any thread.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class SessionWatchdog<T> : IDisposable
    where T : struct
{
    private readonly Dictionary<MemberWorker<T>, Seen> _seen = [];
    private readonly GroupPartition<T>[] _partitions;
    private readonly ManualResetEventSlim _stop = new();
    private readonly TimeSpan _sessionTimeout;
    private readonly TimeSpan _maxPollInterval;

    /// <summary>Starts the watchdog thread, which calls <paramref name="check"/> every quarter of the shorter time-out (at least every 5 ms).</summary>
    /// <param name="groupId">The group, for the thread's name.</param>
    /// <param name="sessionTimeout">How long a member may show no progress while it owns partitions.</param>
    /// <param name="maxPollInterval">How long a member may spend on one pass over its partitions.</param>
    /// <param name="partitions">Every partition of the group: their owners and positions are what the check reads.</param>
    /// <param name="check">The group's check; it calls <see cref="FindFailed"/> under its lock.</param>
    public SessionWatchdog(string groupId, TimeSpan sessionTimeout, TimeSpan maxPollInterval, GroupPartition<T>[] partitions, Action check)
    {
        _partitions = partitions;
        _sessionTimeout = sessionTimeout;
        _maxPollInterval = maxPollInterval;
        Tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(5).Ticks, Math.Min(sessionTimeout.Ticks, maxPollInterval.Ticks) / 4));
        var thread = new Thread(() =>
        {
            while (!_stop.Wait(Tick))
            {
                check();
            }
        })
        {
            IsBackground = true,
            Name = $"hotpath:{groupId}:watchdog",
        };
        thread.Start();
    }

    /// <summary>The period of the checks.</summary>
    public TimeSpan Tick { get; }

    /// <summary>The members that are stuck or dead now, with why; they are forgotten, so a later check starts afresh for them.</summary>
    /// <param name="workers">The group's current members.</param>
    /// <returns>The failed members, often none.</returns>
    public List<(MemberWorker<T> Worker, Exception Reason)> FindFailed(IEnumerable<MemberWorker<T>> workers)
    {
        var failed = new List<(MemberWorker<T>, Exception)>();
        foreach (MemberWorker<T> worker in workers)
        {
            if (CheckMember(worker) is Exception reason)
            {
                failed.Add((worker, reason));
            }
        }

        return failed;
    }

    /// <summary>
    /// Updates the record of one member and returns why it failed, or null while it is healthy. Also called by a
    /// rebalance that waits for the member, so that a member stuck during a rebalance is fenced after the session
    /// time-out, not the rebalance time-out. A failed member is forgotten.
    /// </summary>
    /// <param name="worker">The member.</param>
    /// <returns>The reason (a <see cref="TimeoutException"/> or the member's fault), or null.</returns>
    public Exception? CheckMember(MemberWorker<T> worker)
    {
        long now = Environment.TickCount64;
        Exception? reason = null;
        bool owns = OwnsAny(worker);
        if (worker.PollOverdue(_maxPollInterval) is Exception overdue)
        {
            // A pull consumer whose user stopped calling Consume (Kafka's max.poll.interval.ms), whatever its thread does.
            reason = overdue;
        }
        else if (worker.HasExited && owns)
        {
            reason = worker.Fault ?? new InvalidOperationException($"the thread of member '{worker.MemberId}' ended while it owned partitions");
        }
        else if (worker.IsParked || !owns)
        {
            // Idle (parked, backing off) or owning nothing: alive, nothing to wait for.
            _seen[worker] = new Seen(worker.Heartbeat, now, ProgressOf(worker), now);
            return null;
        }
        else
        {
            long heartbeat = worker.Heartbeat;
            long progress = ProgressOf(worker) + heartbeat;
            if (!_seen.TryGetValue(worker, out Seen seen))
            {
                seen = new Seen(heartbeat, now, progress, now);
            }

            seen = new Seen(
                heartbeat,
                heartbeat != seen.Heartbeat ? now : seen.HeartbeatSince,
                progress,
                progress != seen.Progress ? now : seen.ProgressSince);
            _seen[worker] = seen;
            if (now - seen.ProgressSince >= (long)_sessionTimeout.TotalMilliseconds)
            {
                reason = new TimeoutException(
                    $"member '{worker.MemberId}' handed no event to its handler for SessionTimeout ({_sessionTimeout}) while it owned partitions: it is stuck in one handler call or callback");
            }
            else if (now - seen.HeartbeatSince >= (long)_maxPollInterval.TotalMilliseconds)
            {
                reason = new TimeoutException(
                    $"member '{worker.MemberId}' spent longer than MaxPollInterval ({_maxPollInterval}) on one pass over its partitions: lower MaxBatchSize or raise MaxPollInterval");
            }
        }

        if (reason is not null)
        {
            _seen.Remove(worker);
        }

        return reason;
    }

    /// <summary>The members the watchdog keeps a record of (for tests). Caller holds the group's rebalance lock.</summary>
    internal IEnumerable<MemberWorker<T>> Recorded => _seen.Keys;

    /// <summary>
    /// Forgets every member that is no longer in <paramref name="members"/> (it left, was declared failed, or faulted
    /// and was removed). The group calls it after each rebalance, whose waits may have just recorded such a member
    /// again: a record holds the member's worker (its handler and thread), so a group with member churn would otherwise
    /// grow for its whole lifetime. Caller holds the group's rebalance lock; a lifecycle path, so it may allocate.
    /// </summary>
    /// <param name="members">The group's members now.</param>
    public void ForgetDeparted(List<GroupMember<T>> members)
    {
        // Plain accesses: the records and the member list are only touched under the group's rebalance lock.
        List<MemberWorker<T>>? departed = null;
        foreach (MemberWorker<T> worker in _seen.Keys)
        {
            if (!members.Exists(m => ReferenceEquals(m.Worker, worker)))
            {
                (departed ??= []).Add(worker);
            }
        }

        departed?.ForEach(w => _seen.Remove(w));
    }

    /// <summary>Stops the thread after its current check. Idempotent.</summary>
    public void Dispose() => _stop.Set();

    /// <summary>True while the member owns a partition (it took it and has not released it, nor been fenced).</summary>
    private bool OwnsAny(MemberWorker<T> worker)
    {
        foreach (GroupPartition<T> partition in _partitions)
        {
            if (ReferenceEquals(partition.Owner, worker))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The sum of the positions of the partitions the member owns: it moves with every event it hands out.</summary>
    private long ProgressOf(MemberWorker<T> worker)
    {
        long sum = 0;
        foreach (GroupPartition<T> partition in _partitions)
        {
            if (ReferenceEquals(partition.Owner, worker))
            {
                sum += partition.Cursor.ObservedPosition;
            }
        }

        return sum;
    }

    private readonly record struct Seen(long Heartbeat, long HeartbeatSince, long Progress, long ProgressSince);
}
