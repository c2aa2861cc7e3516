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

    // Completed when the worker thread's Run ends (after _exited is set): what JoinAsync awaits. Continuations run on the
    // thread pool, never on the ending worker thread.
    private readonly TaskCompletionSource _threadEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>True while the worker may still take partitions.</summary>
    public bool IsLive => State == MemberState.Running;

    /// <summary>True on the worker's own thread.</summary>
    public bool IsCurrentThread => ReferenceEquals(Thread.CurrentThread, _thread);

    /// <summary>
    /// Starts the member's thread without the caller's execution context: the thread is the member's, not a continuation
    /// of whoever joined it, so no <c>AsyncLocal</c> value of the caller's flows into the handler, and no span current
    /// where <c>Join</c> ran (a request's, a startup operation's, soon stopped) becomes the parent of every process span.
    /// </summary>
    public void Start() => _thread.UnsafeStart();

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
        long deadline = Internal.Deadline.From(timeout);
        lock (_control)
        {
            while (_appliedVersion < version && !_exited)
            {
                int wait = Internal.Deadline.MillisecondsUntil(deadline, Timeout.Infinite);
                if (wait == 0)
                {
                    return false;
                }

                Monitor.Wait(_control, wait);
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
        OnStopping();
    }

    /// <summary>Waits for the worker thread to end.</summary>
    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    /// <summary>
    /// Awaits the end of the worker thread without blocking a thread: true once it ended, false when
    /// <paramref name="timeout"/> passed first (as <see cref="Join"/>). Only for a started worker. Any thread.
    /// </summary>
    public async Task<bool> JoinAsync(TimeSpan timeout)
    {
        try
        {
            await _threadEnded.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Marks the worker failed (it missed a rebalance deadline); it drops its partitions when it wakes.</summary>
    public void MarkFailed()
    {
        Interlocked.CompareExchange(ref _state, (int)MemberState.Failed, (int)MemberState.Running);
        _parker.Unpark();
        OnStopping();
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

    /// <summary>This member's own cursor of <paramref name="partition"/> (not the partition's current one), or null when it does not own it.</summary>
    public ReadCursor<T>? CursorOf(GroupPartition<T> partition)
    {
        int index = Array.IndexOf(_owned, partition);
        return index >= 0 ? _cursors[index] : null;
    }

    /// <summary>The member's group id (for the handler contexts).</summary>
    public string GroupIdOfMember => _options.GroupId;

    /// <summary>
    /// The handler-context handle of <paramref name="cursor"/>, one of this member's own cursors: made on the first dispatch
    /// of an ownership, released when the partition leaves the member (<see cref="ReleaseContext"/>). Worker thread, once
    /// per batch: a field read and a null check.
    /// </summary>
    private protected ContextPartition ContextOf(ReadCursor<T> cursor) => cursor.HandlerContext ??= new MemberContextPartition<T>(this, cursor);

    /// <summary>The partition of <paramref name="cursor"/> leaves this member: a context kept from its calls can no longer commit. Worker thread.</summary>
    private static void ReleaseContext(ReadCursor<T> cursor)
    {
        if (cursor.HandlerContext is { } context)
        {
            context.Release();
            cursor.HandlerContext = null;
        }
    }

    /// <summary>The partition this member reads with <paramref name="cursor"/>, one of its own cursors. Worker thread.</summary>
    private protected GroupPartition<T> OwnedPartitionOf(ReadCursor<T> cursor) => _owned[Array.IndexOf(_cursors, cursor)];

    /// <summary>True for a member that commits its offsets in transactions only: a manual commit from its handler is refused.</summary>
    public virtual bool CommitsInTransactions => false;

    /// <summary>The member's group.</summary>
    protected ConsumerGroup<T> Group => _group;

    /// <summary>
    /// True when the loop commits each partition's position after its batch (<see cref="CommitMode.AfterBatch"/>). Read
    /// once, when the loop starts. A pull member commits what its user consumed instead, never what it only copied.
    /// </summary>
    protected virtual bool CommitsAfterBatch => _options.CommitMode == CommitMode.AfterBatch;

    /// <summary>
    /// False while the member cannot take more events (a pull member's full hand-off): it then parks even though events
    /// are available, until <see cref="Wake"/>. Worker thread, park path only.
    /// </summary>
    protected virtual bool CanTakeEvents => true;

    /// <summary>
    /// A partition leaves this member (revoked, lost or fenced): withdraws what was handed out but not handled, and returns
    /// the next offset after what was handled, which a revocation in good order commits. Worker thread.
    /// </summary>
    /// <param name="partition">The partition.</param>
    /// <param name="cursor">The member's own cursor of it.</param>
    /// <returns>The offset to commit; by default the cursor's position (the handler handled everything dispatched).</returns>
    protected virtual long WithdrawHandedOut(GroupPartition<T> partition, ReadCursor<T> cursor) => cursor.Position;

    /// <summary>Applies a seek of an owned partition. Worker thread; throws as <see cref="ReadCursor{T}.Seek"/>.</summary>
    /// <param name="partition">The partition.</param>
    /// <param name="cursor">The member's own cursor of it.</param>
    /// <param name="offset">The offset to move to.</param>
    protected virtual void SeekOwned(GroupPartition<T> partition, ReadCursor<T> cursor, long offset) => cursor.Seek(offset);

    /// <summary>Unparks the worker (a pull member whose user made room in its hand-off). Any thread.</summary>
    protected void Wake() => _parker.Unpark();

    /// <summary>
    /// The session watchdog's poll-interval check of a member whose user polls it (a pull consumer): why it is declared
    /// failed (its user did not call Consume for <paramref name="maxPollInterval"/>), or null. Called under the group's
    /// rebalance lock (one caller at a time).
    /// </summary>
    /// <param name="maxPollInterval">The group's <see cref="ConsumerGroupOptions.MaxPollInterval"/>.</param>
    /// <returns>Null: a push member's thread is its own poller, checked through <see cref="Heartbeat"/>.</returns>
    public virtual Exception? PollOverdue(TimeSpan maxPollInterval) => null;

    /// <summary>Hands up to <paramref name="max"/> events of one partition to the handler; returns offsets passed.</summary>
    protected abstract int Dispatch(ReadCursor<T> cursor, int max);

    /// <summary>
    /// The member stops: it was asked to (it left, the group drained or was disposed), was declared failed, or faulted.
    /// Called from any thread, possibly more than once, possibly while the handler runs; never on the per-event path.
    /// </summary>
    protected virtual void OnStopping()
    {
    }

    /// <summary>The worker thread ends (last thing on it before <see cref="HasExited"/> turns true): the handler is never called again.</summary>
    protected virtual void OnThreadEnded()
    {
    }

    /// <summary>
    /// True when the handler threw because its member stops (<see cref="OnStopping"/> cancelled what it awaited): not a
    /// handler failure, the error policy does not see it and the event stays unhandled. Worker thread, failure path only.
    /// </summary>
    /// <param name="exception">What the handler threw.</param>
    /// <returns>False by default: synchronous handlers get no token.</returns>
    protected virtual bool IsStopCancellation(Exception exception) => false;
}
