using System.Diagnostics;
using HotPath.Groups;
using HotPath.Workers;

namespace HotPath.Consumers;

/// <summary>
/// The dedicated thread of one group member: it hands the events of the partitions it owns to its handler and
/// applies the coordinator's assignment changes between batches.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> The worker thread owns <c>_owned</c>/<c>_cursors</c> (plain fields, never touched by
/// another thread). The coordinator talks to it through <c>_control</c>: it stores a target assignment and bumps
/// <c>_requestedVersion</c> under the lock, then unparks the worker; the worker notices the version change
/// between batches (acquire read), applies the change — revoking first, committing what it handled, then
/// taking new partitions — and publishes <c>_appliedVersion</c> under the lock, which wakes the coordinator.
/// A partition therefore always passes through "no owner" between two members.</para>
/// <para><b>Fencing.</b> A member that does not reach a safe point within the rebalance time-out is declared
/// failed; its partitions get fresh cursors (<see cref="GroupPartition{T}.Fence"/>). Before each batch the worker
/// compares each partition's cursor with its own (acquire read): a mismatch means it was fenced, and it drops the
/// partition without committing.</para>
/// <para>Thread-safety: <see cref="RequestAssignment"/>, <see cref="WaitApplied"/>, <see cref="RequestStop"/> and the
/// read-only properties are safe from any thread; everything else runs on the worker thread.</para>
/// </remarks>
internal abstract partial class MemberWorker<T>
    where T : struct
{
    private static readonly GroupPartition<T>[] s_none = [];

    private readonly ConsumerGroup<T> _group;
    private readonly ConsumerGroupOptions _options;
    private readonly Parker _parker = new();
    private readonly object _control = new();
    private readonly Thread _thread;
    private readonly int? _core;
    private readonly List<PendingSeek<T>> _pendingSeeks = [];

    private readonly HandlerFailures<T> _failures;

    private GroupPartition<T>[] _requested = s_none;
    private int _requestedVersion;
    private int _appliedVersion;
    private int _appliedLocal;
    private bool _stopRequested;
    private bool _exited;

    private GroupPartition<T>[] _owned = s_none;
    private ReadCursor<T>[] _cursors = [];
    private long _handled;
    private int _state;
    private Exception? _fault;
    private int _pinnedCpu = -1;
    private string? _pinningError;
    private long _heartbeat;
    private int _parked;

    protected MemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core)
    {
        _group = group;
        _options = group.Options;
        MemberId = memberId;
        GroupInstanceId = groupInstanceId;
        _core = core;
        _failures = new HandlerFailures<T>(_options, memberId);
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = $"hotpath:{_options.GroupId}:{memberId}",
        };
    }

    public string MemberId { get; }

    public string? GroupInstanceId { get; }

    /// <summary>The partitions the coordinator last assigned (coordinator's view). Guarded by the coordinator's lock.</summary>
    public GroupPartition<T>[] CoordinatorView { get; set; } = s_none;

    /// <summary>
    /// True once the coordinator saw the worker apply an assignment that gave it partitions: its join took effect.
    /// Guarded by the coordinator's lock.
    /// </summary>
    public bool HasTakenPartitions { get; set; }

    /// <summary>Events handed to the handler so far (not lost events, not gaps). Any thread; a snapshot.</summary>
    public long Handled => Volatile.Read(ref _handled);

    /// <summary>Running, faulted, failed (fenced) or stopped. Any thread.</summary>
    public MemberState State => (MemberState)Volatile.Read(ref _state);

    /// <summary>The exception that stopped the handler, if any. Any thread, after <see cref="State"/> says faulted.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>The CPU this worker pinned itself to, or -1.</summary>
    public int PinnedCpu => Volatile.Read(ref _pinnedCpu);

    /// <summary>Why pinning failed, or null.</summary>
    public string? PinningError => Volatile.Read(ref _pinningError);

    /// <summary>Loop passes so far: the watchdog's poll-interval heartbeat. Any thread; racy by design.</summary>
    public long Heartbeat => Volatile.Read(ref _heartbeat);

    /// <summary>True while the worker is parked or backing off (idle, not stuck). Any thread.</summary>
    public bool IsParked => Volatile.Read(ref _parked) != 0;

    /// <summary>True once the worker thread ended. Any thread.</summary>
    public bool HasExited
    {
        get
        {
            lock (_control)
            {
                return _exited;
            }
        }
    }

    /// <summary>True when the coordinator believes the worker owns partitions. Guarded by the coordinator's lock.</summary>
    public bool OwnsPartitions => CoordinatorView.Length != 0;

    /// <summary>True while the worker may still take partitions.</summary>
    public bool IsLive => State == MemberState.Running;

    /// <summary>True on the worker's own thread.</summary>
    public bool IsCurrentThread => ReferenceEquals(Thread.CurrentThread, _thread);

    public void Start() => _thread.Start();

    /// <summary>Asks the worker to own exactly <paramref name="target"/>; returns the request's version. Any thread.</summary>
    public int RequestAssignment(GroupPartition<T>[] target)
    {
        int version;
        lock (_control)
        {
            _requested = target;
            version = ++_requestedVersion;
        }

        _parker.Unpark();
        return version;
    }

    /// <summary>Waits until the worker applied request <paramref name="version"/> (or exited); false on time-out.</summary>
    public bool WaitApplied(int version, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_control)
        {
            while (_appliedVersion < version && !_exited)
            {
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    return false;
                }

                Monitor.Wait(_control, TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency));
            }

            return true;
        }
    }

    /// <summary>Asks the worker to apply a seek between batches; <see cref="AwaitSeek"/> waits for it. Any thread.</summary>
    public PendingSeek<T> RequestSeek(GroupPartition<T> partition, long offset)
    {
        var pending = new PendingSeek<T>(partition, offset);
        lock (_control)
        {
            _pendingSeeks.Add(pending);
            ++_requestedVersion;
        }

        _parker.Unpark();
        return pending;
    }

    /// <summary>Waits until the worker applied <paramref name="pending"/> (see <see cref="PendingSeek{T}.Await"/>). Any thread.</summary>
    public void AwaitSeek(PendingSeek<T> pending, TimeSpan timeout) => pending.Await(_control, () => _exited, timeout, MemberId);

    /// <summary>Asks the worker to exit once it owns nothing. Any thread.</summary>
    public void RequestStop()
    {
        lock (_control)
        {
            _stopRequested = true;
            ++_requestedVersion;
        }

        _parker.Unpark();
    }

    /// <summary>Waits for the worker thread to end.</summary>
    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    /// <summary>Marks the worker failed (it missed a rebalance deadline); it drops its partitions when it wakes.</summary>
    public void MarkFailed()
    {
        Interlocked.CompareExchange(ref _state, (int)MemberState.Failed, (int)MemberState.Running);
        _parker.Unpark();
    }

    /// <summary>
    /// A manual commit from the handler (worker thread): through this member's own cursor, never the partition's
    /// current one, which a fence replaces at any moment. False when the member no longer owns the partition or was
    /// fenced (its cursor's sequence sealed): nothing moved.
    /// </summary>
    public bool TryCommitOwned(GroupPartition<T> partition, long nextOffset)
    {
        int index = Array.IndexOf(_owned, partition);
        return index >= 0 && _cursors[index].TryCommit(nextOffset);
    }

    /// <summary>Hands up to <paramref name="max"/> events of one partition to the handler; returns offsets passed.</summary>
    protected abstract int Dispatch(ReadCursor<T> cursor, int max);

    private void Run()
    {
        if (_core is int core)
        {
            if (CpuAffinity.TryPinCurrentThread(core, out string? error))
            {
                Volatile.Write(ref _pinnedCpu, core);
            }
            else
            {
                Volatile.Write(ref _pinningError, error);
            }
        }

        try
        {
            Loop();
        }
        catch (Exception ex)
        {
            // A bug in the engine or a throwing rebalance listener: record it; the watchdog moves the partitions.
            Volatile.Write(ref _fault, ex);
            Interlocked.CompareExchange(ref _state, (int)MemberState.Faulted, (int)MemberState.Running);
        }
        finally
        {
            lock (_control)
            {
                _exited = true;
                Monitor.PulseAll(_control);
            }
        }
    }

    private void Loop()
    {
        int idle = 0;
        bool autoCommit = _options.CommitMode == CommitMode.AfterBatch;
        int maxBatch = _options.MaxBatchSize;
        int coalesceBelow = _options.CoalesceBelow;
        WaitStrategy wait = _options.WaitStrategy;
        var duration = Diagnostics.HotPathMetrics.ProcessDuration;
        while (true)
        {
            // Poll-interval heartbeat for the watchdog, once per pass (owner-only write; racy reads only compare values).
            // Not per batch: a store in the per-partition loop cost ~20% at 8-byte events (its code generation).
            Volatile.Write(ref _heartbeat, _heartbeat + 1);

            // Acquire: pairs with the increment under the lock in RequestAssignment; the request itself is read under the lock.
            if (Volatile.Read(ref _requestedVersion) != _appliedLocal && ApplyControl())
            {
                // CAS: a member that left in good health ends Stopped; a faulted or failed one keeps that state.
                Interlocked.CompareExchange(ref _state, (int)MemberState.Stopped, (int)MemberState.Running);
                return;
            }

            if (State != MemberState.Running)
            {
                ParkUntilControl();
                continue;
            }

            int progressed = 0;
            int handled = 0;
            GroupPartition<T>[] owned = _owned;
            ReadCursor<T>[] cursors = _cursors;
            for (int i = 0; i < owned.Length; i++)
            {
                ReadCursor<T> cursor = cursors[i];
                // Acquire: a fence by the coordinator replaces the partition's cursor; see the type's remarks.
                if (!ReferenceEquals(owned[i].Cursor, cursor))
                {
                    DropFenced();
                    break;
                }

                long started = duration.Enabled ? Stopwatch.GetTimestamp() : 0;
                long before = cursor.Position;
                long notHandledBefore = cursor.NotHandled;
                int count;
                try
                {
                    count = Dispatch(cursor, maxBatch);
                    if (count != 0 && !_failures.IsEmpty)
                    {
                        // Past this partition's failing event (if any): a later failure starts a new count of attempts.
                        _failures.Forget(cursor);
                    }
                }
                catch (Exception ex)
                {
                    // The events before the failing one were handled: count and commit them below, so that only the
                    // failing event is retried or redelivered and the duplicate window stays within one batch.
                    count = (int)(cursor.Position - before) + OnHandlerError(owned[i], cursor, ex);
                }

                if (count != 0)
                {
                    progressed += count;
                    // The count includes the offsets lost (lossy) and the gaps stepped over: neither was handled.
                    int handledNow = count - (int)(cursor.NotHandled - notHandledBefore);
                    handled += handledNow;
                    owned[i].Counters.AddHandled(handledNow);
                    if (autoCommit && !cursor.IsFenced)
                    {
                        TestBeforeAutoCommit?.Invoke();
                        // False when a fence came after the check above: nothing moved, the next pass drops the partition.
                        cursor.TryCommitPosition();
                    }

                    if (started != 0)
                    {
                        owned[i].RecordProcessDuration(_options.GroupId, started);
                    }
                }
                else if (owned[i].IsDrained)
                {
                    _group.OnPartitionDrained();
                }

                if (State != MemberState.Running)
                {
                    break;
                }
            }

            if (progressed != 0)
            {
                // Owner-only write, read by monitors: a release write so they never see a torn or stale-forever value.
                Volatile.Write(ref _handled, _handled + handled);
                BatchCoalescing.AfterProgress(progressed, coalesceBelow, idle);
                idle = 0;
            }
            else if (owned.Length == 0)
            {
                ParkUntilControl();
            }
            else if (wait.Idle(ref idle))
            {
                ParkOnPartitions(owned, cursors);
            }
        }
    }

    /// <summary>
    /// Applies the error policy to the event at the cursor's position; returns the offsets passed (1 when the event was
    /// skipped or dead-lettered, 0 when it will be retried or the member stops).
    /// </summary>
    private int OnHandlerError(GroupPartition<T> partition, ReadCursor<T> cursor, Exception ex)
    {
        switch (_failures.OnError(partition, cursor, ex, out _))
        {
            case HandlerFailures<T>.Outcome.Retry:
                // Back off now (the member's other partitions wait too); a control request cuts this wait short, and
                // ApplyControl answers it, then waits the rest before the retry (the retry time stays with the failure).
                WaitOutBackoff(cursor);
                return 0;
            case HandlerFailures<T>.Outcome.SteppedOver:
                return 1;
            default:
                OnHandlerFault(ex);
                return 0;
        }
    }

    /// <summary>Applies the latest assignment request and pending seeks; returns true when the worker should exit.</summary>
    private bool ApplyControl()
    {
        GroupPartition<T>[] target;
        int version;
        bool stop;
        PendingSeek<T>[] seeks;
        lock (_control)
        {
            target = _requested;
            version = _requestedVersion;
            stop = _stopRequested;
            seeks = [.. _pendingSeeks];
            _pendingSeeks.Clear();
        }

        ApplyAssignment(target);
        foreach (PendingSeek<T> seek in seeks)
        {
            ApplySeek(seek);
        }

        _appliedLocal = version;
        lock (_control)
        {
            _appliedVersion = version;
            Monitor.PulseAll(_control);
        }

        if (!_failures.IsEmpty)
        {
            // A request that cut a retry backoff short: wait the rest now (here, off the dispatch path), unless another
            // request arrives meanwhile; the next call resumes it then.
            foreach (ReadCursor<T> cursor in _cursors)
            {
                if (WaitOutBackoff(cursor))
                {
                    break;
                }
            }
        }

        return stop && _owned.Length == 0;
    }

    private void ApplyAssignment(GroupPartition<T>[] target)
    {
        bool autoCommit = _options.CommitMode == CommitMode.AfterBatch;
        List<TopicPartition>? revoked = null;
        List<TopicPartition>? lost = null;
        var keptOwned = new List<GroupPartition<T>>();
        var keptCursors = new List<ReadCursor<T>>();
        for (int i = 0; i < _owned.Length; i++)
        {
            GroupPartition<T> partition = _owned[i];
            ReadCursor<T> cursor = _cursors[i];
            if (Array.IndexOf(target, partition) >= 0 && ReferenceEquals(partition.Cursor, cursor))
            {
                keptOwned.Add(partition);
                keptCursors.Add(cursor);
                continue;
            }

            // A member declared failed, or whose cursor was replaced (fenced), lost the partition without the chance to
            // commit (Kafka's onPartitionsLost); the others give it up in good order (revoked).
            bool fenced = State == MemberState.Failed || !ReferenceEquals(partition.Cursor, cursor) || cursor.IsFenced;
            if (!fenced && autoCommit)
            {
                // Commit what this member handled before the partition moves: the next owner resumes there. A fence
                // that came after the checks above makes the commit fail: then the partition was lost.
                fenced = !cursor.TryCommitPosition();
            }

            partition.Partition.RemoveReaderParker(_parker);
            partition.ReleaseOwnership(this);
            _failures.Forget(cursor);
            if (fenced)
            {
                (lost ??= []).Add(partition.Id);
            }
            else
            {
                (revoked ??= []).Add(partition.Id);
            }
        }

        if (lost is not null)
        {
            _options.RebalanceListener?.OnPartitionsLost(MemberId, lost);
        }

        if (revoked is not null)
        {
            _options.RebalanceListener?.OnPartitionsRevoked(MemberId, revoked);
        }

        List<TopicPartition>? assigned = null;
        if (State == MemberState.Running)
        {
            foreach (GroupPartition<T> partition in target)
            {
                if (keptOwned.Contains(partition))
                {
                    continue;
                }

                if (!partition.TryTakeOwnership(this))
                {
                    Internal.ThrowHelper.InvalidOperation(
                        $"partition {partition.Id} was assigned to member '{MemberId}' while member '{partition.Owner?.MemberId}' still owns it");
                }

                // Full fence (the CAS above) before this read; pairs with MarkFailed's CAS before the coordinator's
                // Fence reads the owner: either the coordinator fences us, or we see that we were declared failed.
                if (State == MemberState.Failed)
                {
                    partition.ReleaseOwnership(this);
                    break;
                }

                ReadCursor<T> cursor = partition.Cursor;
                // The new owner resumes from the committed offset (acquire inside ResetToCommitted).
                cursor.ResetToCommitted();
                if (_options.WaitStrategy.ParksThread)
                {
                    partition.Partition.AddReaderParker(_parker);
                }

                keptOwned.Add(partition);
                keptCursors.Add(cursor);
                (assigned ??= []).Add(partition.Id);
            }
        }

        _owned = [.. keptOwned];
        _cursors = [.. keptCursors];
        if (assigned is not null)
        {
            _options.RebalanceListener?.OnPartitionsAssigned(MemberId, assigned);
        }
    }

    private void ApplySeek(PendingSeek<T> seek)
    {
        if (!seek.TryClaim())
        {
            // Withdrawn: its caller timed out and was told so; applying it now would move the group silently.
            return;
        }

        Exception? error = null;
        try
        {
            int index = Array.IndexOf(_owned, seek.Partition);
            if (index < 0)
            {
                Internal.ThrowHelper.InvalidOperation($"member '{MemberId}' no longer owns {seek.Partition.Id}: seek again");
            }

            _cursors[index].Seek(seek.Offset);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        seek.Complete(_control, error);
    }

    /// <summary>See <see cref="HandlerFailures{T}.WaitOutBackoff"/>; a control request or a state change cuts it short.</summary>
    private bool WaitOutBackoff(ReadCursor<T> cursor) =>
        // Acquire: pairs with the version bump in RequestAssignment/RequestSeek/RequestStop (each then unparks us).
        _failures.WaitOutBackoff(cursor, _parker, ref _parked, () => Volatile.Read(ref _requestedVersion) != _appliedLocal || State != MemberState.Running);

    private void DropFenced()
    {
        var lost = new List<TopicPartition>();
        var keptOwned = new List<GroupPartition<T>>();
        var keptCursors = new List<ReadCursor<T>>();
        for (int i = 0; i < _owned.Length; i++)
        {
            if (ReferenceEquals(_owned[i].Cursor, _cursors[i]))
            {
                keptOwned.Add(_owned[i]);
                keptCursors.Add(_cursors[i]);
            }
            else
            {
                _owned[i].Partition.RemoveReaderParker(_parker);
                _failures.Forget(_cursors[i]);
                lost.Add(_owned[i].Id);
            }
        }

        _owned = [.. keptOwned];
        _cursors = [.. keptCursors];
        _options.RebalanceListener?.OnPartitionsLost(MemberId, lost);
    }

    private void OnHandlerFault(Exception ex)
    {
        Volatile.Write(ref _fault, ex);
        Interlocked.CompareExchange(ref _state, (int)MemberState.Faulted, (int)MemberState.Running);

        // The coordinator moves this member's partitions on another thread; this thread keeps applying control
        // requests (it commits what it handled before the failing event when its partitions are revoked).
        _group.OnMemberFaulted(this);
    }

    private void ParkUntilControl()
    {
        // The unpark in RequestAssignment/RequestStop/MarkFailed follows the version bump, so a request that
        // arrives after the check below leaves a permit and the park returns at once.
        if (Volatile.Read(ref _requestedVersion) == _appliedLocal)
        {
            Volatile.Write(ref _parked, 1);
            _parker.Park(Partitions.Partition<T>.ReaderParkBackstop);
            Volatile.Write(ref _parked, 0);
        }
    }

    private void ParkOnPartitions(GroupPartition<T>[] owned, ReadCursor<T>[] cursors)
    {
        // Announce before raising the partitions' wake flags: a publisher that wins a flag then sees the announce.
        _parker.BeginParking();
        try
        {
            foreach (GroupPartition<T> partition in owned)
            {
                partition.Partition.EnterReaderPark();
            }

            // Re-check after announcing (process-wide barrier in EnterReaderPark): a publish that our check misses
            // sees the flag and unparks us.
            bool ready = Volatile.Read(ref _requestedVersion) != _appliedLocal;
            for (int i = 0; i < owned.Length && !ready; i++)
            {
                ready = cursors[i].Available() >= cursors[i].Position;
            }

            if (!ready)
            {
                Volatile.Write(ref _parked, 1);
                _parker.Park(Partitions.Partition<T>.ReaderParkBackstop);
                Volatile.Write(ref _parked, 0);
            }
        }
        finally
        {
            _parker.EndParking();
        }
    }
}
