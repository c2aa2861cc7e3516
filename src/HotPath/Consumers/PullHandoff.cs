using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Consumers;

/// <summary>
/// The bounded hand-off of a pull consumer (<see cref="GroupConsumer{T}"/>): its fetch thread (a group member's worker
/// thread, <see cref="PullMemberWorker{T}"/>) copies the events of the partitions it owns into a ring of copies, and the
/// threads that call <c>Consume</c> take them out one at a time. What a consumer took is what it consumed, and only that
/// is ever committed: a copy still in the ring when its partition leaves the consumer is dropped, and the partition's next
/// owner reads it again from the committed offset.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> <c>_entries</c> is a ring of copies; <c>_tail</c> (written by the fetch thread under
/// <c>_lock</c>) is the next slot it fills, <c>_head</c> (written by consuming threads under the lock) the next slot they
/// take. At most <c>_prefetch</c> copies are held: the ring is full when <c>_tail - _head == _prefetch</c> and empty when
/// they are equal; both only grow (longs, they never wrap), and the slot of position <c>i</c> is <c>i &amp; mask</c>. The
/// fetch thread writes the slots from <c>_tail</c> on without the lock (no consuming thread reads at or past
/// <c>_tail</c>), after an acquire read of <c>_head</c> that pairs with the consuming thread's release: that thread's
/// copy out of a slot happens before the fetch thread overwrites it. It then publishes them by moving <c>_tail</c> under
/// the lock, which also orders the slot writes before any consuming thread's read of them.</para>
/// <para><b>Partitions.</b> Each copy names its <see cref="PullPartition{T}"/>, the record of one partition the consumer
/// holds (see there for what "consumed" means). Everything a revocation, a loss, a fence or a seek changes is changed
/// under the lock by <see cref="Withdraw"/> or <see cref="Seek"/>, which mark the record withdrawn: a consuming thread
/// takes a copy and moves <see cref="PullPartition{T}.Consumed"/> under the same lock, so a revocation sees every take
/// before it (and commits it) and no take after it (the copies of a withdrawn record are dropped when they reach the
/// head). A copy whose cursor was fenced (the member was declared failed; the coordinator does it on its own thread) is
/// dropped too, and commits through a fenced cursor fail: the fence is a CAS on the cursor's sequence.</para>
/// <para><b>Commits.</b> Every commit runs under the lock, through the consumer's own cursor, as a CAS that only raises
/// the committed offset and fails once the cursor was fenced (<see cref="ReadCursor{T}.TryCommitTransactional"/>), so
/// it never lands in a replacement cursor and never races a seek. With <see cref="CommitMode.AfterBatch"/> a take leaves
/// its partition pending and the next call commits it (as Kafka's auto-commit commits what earlier polls returned).</para>
/// <para><b>Waiting.</b> A consuming call that finds nothing waits on the lock (<c>Monitor.Wait</c>) or on a task that the
/// fetch thread completes when it publishes, when the hand-off ends, or on cancellation; it takes nothing when it gives
/// up. The fetch thread parks when the ring is full (<see cref="Free"/> is 0); a take that makes room in a full ring
/// unparks it (its parker keeps a permit, so a wake-up between its check and its park is not lost).</para>
/// <para>Thread-safety: <see cref="Free"/>, <see cref="StateOf"/>, <see cref="Fill"/>, <see cref="Withdraw"/> and
/// <see cref="Seek"/> run on the fetch thread; the consuming methods on any thread (several at once each get distinct
/// copies); <see cref="End"/> on any thread.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class PullHandoff<T>
    where T : struct
{
    private readonly object _lock = new();
    private readonly Entry[] _entries;
    private readonly int _prefetch;
    private readonly bool _autoCommit;
    private readonly string _memberId;
    private readonly Action _wakeFetcher;
    private readonly Action? _maybeDrained;

    /// <summary>The partitions held now. Mutated by the fetch thread under the lock; consuming threads read it under the lock.</summary>
    private readonly List<PullPartition<T>> _partitions = [];

    private long _head;
    private long _tail;
    private int _waiting;
    private long _calls;
    private bool _ended;
    private TaskCompletionSource? _signal;
    private PullPartition<T>? _pendingCommit;

    /// <summary>Creates the hand-off of one consumer.</summary>
    /// <param name="prefetch">The most copies held at once (at least 1).</param>
    /// <param name="autoCommit">True for <see cref="CommitMode.AfterBatch"/>: each call commits what the calls before it took.</param>
    /// <param name="memberId">The consumer's member id, for messages.</param>
    /// <param name="wakeFetcher">Unparks the fetch thread (a take made room in a full ring).</param>
    /// <param name="maybeDrained">Called after a commit on a completed partition (the group may have drained), or null.</param>
    public PullHandoff(int prefetch, bool autoCommit, string memberId, Action wakeFetcher, Action? maybeDrained)
    {
        _prefetch = prefetch;
        _entries = new Entry[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)prefetch)];
        _autoCommit = autoCommit;
        _memberId = memberId;
        _wakeFetcher = wakeFetcher;
        _maybeDrained = maybeDrained;
    }

    /// <summary>What a take found.</summary>
    public enum TakeStatus
    {
        /// <summary>A copy was taken.</summary>
        Taken,

        /// <summary>Nothing to take now.</summary>
        Empty,

        /// <summary>The consumer stopped (it left, failed, or its group drained or was disposed): nothing will come.</summary>
        Ended,
    }

    /// <summary>Free slots for the fetch thread. Fetch thread.</summary>
    public int Free =>
        // _tail: the fetch thread's own field (only it writes it). Acquire on _head: pairs with the release in TakeLocked, so
        // the consuming thread's copy out of every slot below it happened before we overwrite that slot.
        _prefetch - (int)(_tail - Volatile.Read(ref _head));

    /// <summary>Consuming calls so far: the session watchdog's poll signal. Any thread; racy by design (compared across ticks).</summary>
    public long Calls =>
        // Acquire: pairs with the release under the lock in Poll; a stale value only delays the watchdog's verdict by a tick.
        Volatile.Read(ref _calls);

    /// <summary>True while a consuming call waits for a copy (it is polling, as a Kafka consumer blocked in poll). Any thread; racy.</summary>
    public bool IsWaiting =>
        // Acquire: pairs with the releases under the lock around each wait; a stale value only delays the verdict.
        Volatile.Read(ref _waiting) != 0;

    /// <summary>The record of the partition read by <paramref name="cursor"/>, registered at the cursor's position when new. Fetch thread.</summary>
    /// <param name="partition">The group's partition.</param>
    /// <param name="cursor">The member's own cursor on it.</param>
    /// <returns>The record.</returns>
    public PullPartition<T> StateOf(GroupPartition<T> partition, ReadCursor<T> cursor)
    {
        // Plain reads of the list: only this thread mutates it (under the lock), so its own view is current.
        foreach (PullPartition<T> state in _partitions)
        {
            if (ReferenceEquals(state.Cursor, cursor))
            {
                return state;
            }
        }

        var created = new PullPartition<T>(this, partition, cursor);
        lock (_lock)
        {
            _partitions.Add(created);
        }

        return created;
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> events of <paramref name="state"/>'s partition into free slots (the caller
    /// checked <see cref="Free"/>) and publishes them. Returns the offsets the cursor passed (events, gaps, aborted and
    /// lost offsets). Fetch thread.
    /// </summary>
    /// <param name="state">The partition's record.</param>
    /// <param name="max">At most this many offsets; at most <see cref="Free"/>.</param>
    /// <returns>The offsets passed.</returns>
    public int Fill(PullPartition<T> state, int max)
    {
        // Plain read: only this thread writes _tail.
        long tail = _tail;
        var copier = new Copier(_entries, tail, state);
        int passed = state.Cursor.Dispatch(ref copier, max);
        if (passed == 0)
        {
            return 0;
        }

        int count = (int)(copier.Next - tail);
        TaskCompletionSource? signal;
        lock (_lock)
        {
            // The slots written above become visible with the lock's release to every consuming thread that takes it.
            _tail = tail + count;
            state.Add(count, state.Cursor.Position);
            if (_autoCommit && state.Outstanding == 0 && !state.Withdrawn && !ReferenceEquals(_pendingCommit, state))
            {
                // Everything copied was taken and the cursor stepped over offsets without events: commit past them now, or a
                // partition that ends in gaps or aborted transactions would never be committed to its end. Not while the
                // partition's latest take awaits its commit (its caller may still be handling it): the next call commits
                // Consumed then, which Add moved past the stepped-over offsets. False: fenced, the next pass drops the
                // partition.
                _ = CommitLocked(state, state.Consumed);
            }

            signal = WakeLocked(count != 0);
        }

        signal?.TrySetResult();
        return passed;
    }

    /// <summary>
    /// The partition read by <paramref name="cursor"/> leaves the consumer (revoked, lost, fenced): its copies still in the
    /// ring are dropped and nothing commits through it any more. Returns the next offset after what was consumed (what a
    /// revocation in good order commits). Fetch thread.
    /// </summary>
    /// <param name="cursor">The member's own cursor of the partition.</param>
    /// <returns>The offset to commit.</returns>
    public long Withdraw(ReadCursor<T> cursor)
    {
        lock (_lock)
        {
            return WithdrawLocked(cursor);
        }
    }

    /// <summary>
    /// Applies a seek of the partition read by <paramref name="cursor"/>: under the lock, so that no commit of a take from
    /// before the seek lands after it; the copies from before it are dropped and the next batch starts a new record at
    /// <paramref name="offset"/>. Fetch thread. Throws as <see cref="ReadCursor{T}.Seek"/> does (nothing changed then).
    /// </summary>
    /// <param name="cursor">The member's own cursor of the partition.</param>
    /// <param name="offset">The offset to move to.</param>
    public void Seek(ReadCursor<T> cursor, long offset)
    {
        lock (_lock)
        {
            cursor.Seek(offset);
            _ = WithdrawLocked(cursor);
        }
    }

    /// <summary>The consumer stops: waiting calls wake and find the hand-off ended. Idempotent; any thread.</summary>
    public void End()
    {
        TaskCompletionSource? signal;
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            signal = WakeLocked(wake: true);
        }

        signal?.TrySetResult();
    }

    /// <summary>
    /// A consuming call's first step: counts the call (the poll signal), commits what earlier calls took (auto-commit) and
    /// takes a copy if one is there. Any thread.
    /// </summary>
    /// <param name="result">The copy taken, or default.</param>
    /// <returns>What it found.</returns>
    public TakeStatus Poll(out ConsumeResult<T> result)
    {
        lock (_lock)
        {
            // Release: pairs with the watchdog's acquire in Calls (racy by design). Under the lock: callers on several threads.
            Volatile.Write(ref _calls, _calls + 1);
            if (_pendingCommit is { } pending)
            {
                _pendingCommit = null;
                // False: the consumer was fenced; it learns it from its state (the take below reports the end).
                _ = CommitLocked(pending, pending.Consumed);
            }

            return TakeLocked(out result);
        }
    }

    /// <summary>
    /// Waits until a copy can be taken (then takes it), the hand-off ends, <paramref name="timeout"/> passes (Empty) or
    /// <paramref name="cancellationToken"/> is cancelled (throws <see cref="OperationCanceledException"/>); nothing is taken
    /// unless it returns <see cref="TakeStatus.Taken"/>. After a <see cref="Poll"/> that found nothing. Any thread.
    /// </summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="result">The copy taken, or default.</param>
    /// <returns>What it found.</returns>
    public TakeStatus Wait(TimeSpan timeout, CancellationToken cancellationToken, out ConsumeResult<T> result)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? Deadline.Never : Deadline.From(timeout);
        // The registration pulses the waiters (under the lock, so the pulse cannot fall between a waiter's check and its wait).
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((PullHandoff<T>)state!).PulseWaiters(), this)
            : default;
        lock (_lock)
        {
            // Release: the watchdog's acquire in IsWaiting sees a call that waits as polling.
            Volatile.Write(ref _waiting, _waiting + 1);
            try
            {
                while (true)
                {
                    TakeStatus status = TakeLocked(out result);
                    if (status != TakeStatus.Empty)
                    {
                        return status;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    int wait = Deadline.MillisecondsUntil(deadline, Timeout.Infinite);
                    if (wait == 0)
                    {
                        return TakeStatus.Empty;
                    }

                    Monitor.Wait(_lock, wait);
                }
            }
            finally
            {
                // Release: as above.
                Volatile.Write(ref _waiting, _waiting - 1);
            }
        }
    }

    /// <summary>
    /// Takes a copy if one is there; otherwise returns Empty with a task that completes when the fetch thread publishes or
    /// the hand-off ends, and counts the caller as waiting until its <see cref="EndWatch"/>. Any thread.
    /// </summary>
    /// <param name="result">The copy taken, or default.</param>
    /// <param name="signal">The task to await when Empty, else null.</param>
    /// <returns>What it found.</returns>
    public TakeStatus TakeOrWatch(out ConsumeResult<T> result, out Task? signal)
    {
        lock (_lock)
        {
            TakeStatus status = TakeLocked(out result);
            signal = null;
            if (status == TakeStatus.Empty)
            {
                // Shared by every asynchronous waiter; completed and cleared by the next publish or the end.
                signal = (_signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                // Release: see Wait.
                Volatile.Write(ref _waiting, _waiting + 1);
            }

            return status;
        }
    }

    /// <summary>An asynchronous wait begun by <see cref="TakeOrWatch"/> is over (woken, or cancelled). Any thread.</summary>
    public void EndWatch()
    {
        lock (_lock)
        {
            // Release: see Wait.
            Volatile.Write(ref _waiting, _waiting - 1);
        }
    }

    /// <summary>Commits what was consumed on every partition held now. Any thread.</summary>
    /// <exception cref="InvalidOperationException">A partition's cursor was fenced (the consumer was declared failed): that
    /// partition committed nothing (the others did).</exception>
    public void CommitConsumed()
    {
        PullPartition<T>? refused = null;
        lock (_lock)
        {
            _pendingCommit = null;
            foreach (PullPartition<T> state in _partitions)
            {
                if (!CommitLocked(state, state.Consumed))
                {
                    refused ??= state;
                }
            }
        }

        if (refused is not null)
        {
            ThrowFenced(refused);
        }
    }

    /// <summary>Commits up to and including <paramref name="result"/> (never moves a committed offset back). Any thread.</summary>
    /// <param name="result">A result this consumer returned.</param>
    /// <exception cref="ArgumentException">The default value, or another consumer's result.</exception>
    /// <exception cref="InvalidOperationException">Its partition left the consumer since, or the consumer was fenced.</exception>
    public void Commit(in ConsumeResult<T> result)
    {
        PullPartition<T>? state = result.Source;
        if (state is null || !ReferenceEquals(state.Owner, this))
        {
            ThrowForeignResult(result);
        }

        bool committed;
        lock (_lock)
        {
            if (state.Withdrawn)
            {
                ThrowWithdrawn(state, result.Offset);
            }

            committed = CommitLocked(state, result.Offset + 1);
        }

        if (!committed)
        {
            ThrowFenced(state);
        }
    }

    /// <summary>Drops the record of <paramref name="cursor"/>'s partition (see <see cref="Withdraw"/>). Caller holds the lock.</summary>
    private long WithdrawLocked(ReadCursor<T> cursor)
    {
        for (int i = 0; i < _partitions.Count; i++)
        {
            PullPartition<T> state = _partitions[i];
            if (ReferenceEquals(state.Cursor, cursor))
            {
                _partitions.RemoveAt(i);
                state.Withdrawn = true;
                if (ReferenceEquals(_pendingCommit, state))
                {
                    _pendingCommit = null;
                }

                return state.Consumed;
            }
        }

        // Nothing copied since the member took the partition (or since a seek): the position is where it started.
        return cursor.Position;
    }

    /// <summary>
    /// Takes the copy at the head, dropping the copies of withdrawn or fenced partitions on the way. Caller holds the lock.
    /// </summary>
    private TakeStatus TakeLocked(out ConsumeResult<T> result)
    {
        result = default;
        if (_ended)
        {
            return TakeStatus.Ended;
        }

        Entry[] entries = _entries;
        while (_head != _tail)
        {
            long head = _head;
            ref Entry entry = ref entries[(int)head & (entries.Length - 1)];
            PullPartition<T> state = entry.Source!;
            bool wasFull = _tail - head >= _prefetch;
            // IsFenced: an acquire read, paired with the release in ReadCursor.Fork: a copy of a fenced cursor is not handed
            // out (a fence after this check is the at-least-once window of a failure: the commit of this take then fails).
            bool live = !state.Withdrawn && !state.Cursor.IsFenced;
            if (live)
            {
                result = new ConsumeResult<T>(state, entry.Offset, in entry.Event, head + 1 == _tail);
                state.Take(entry.Offset);
                if (_autoCommit)
                {
                    if (_pendingCommit is { } earlier && !ReferenceEquals(earlier, state))
                    {
                        // Another partition's take, returned by an earlier call that took while waiting (calls on several
                        // threads): this call is its next one, so commit it now; replaced unseen, it would stay
                        // uncommitted until a revocation (and a partition ending there would never drain). False: fenced.
                        _ = CommitLocked(earlier, earlier.Consumed);
                    }

                    _pendingCommit = state;
                }
            }

            entry.Source = null;
            // Release: the copy out of the slot (above) happens before the fetch thread's acquire read of _head in Free lets
            // it overwrite the slot.
            Volatile.Write(ref _head, head + 1);
            if (wasFull)
            {
                // The fetch thread may be parked on the full ring: its parker keeps the permit if it is not parked yet.
                _wakeFetcher();
            }

            if (live)
            {
                return TakeStatus.Taken;
            }
        }

        return TakeStatus.Empty;
    }

    /// <summary>
    /// Commits <paramref name="nextOffset"/> through the record's own cursor; false when the cursor was fenced (nothing
    /// moved). Never moves the offset back. Caller holds the lock.
    /// </summary>
    private bool CommitLocked(PullPartition<T> state, long nextOffset)
    {
        if (nextOffset <= state.Committed)
        {
            return !state.Cursor.IsFenced;
        }

        // A CAS that only raises the value (a full fence: the copies out of the ring's slots below nextOffset, made by the
        // fetch thread before it published them, happen before the writer reuses them); false once Fork sealed it.
        if (!state.Cursor.TryCommitTransactional(nextOffset))
        {
            return false;
        }

        state.Committed = nextOffset;
        if (state.Partition.Partition.IsCompleted)
        {
            // The group may have drained with this commit; nothing else would notice it while the fetch thread is parked.
            _maybeDrained?.Invoke();
        }

        return true;
    }

    /// <summary>Wakes the waiting calls (all of them when <paramref name="wake"/>). Caller holds the lock; it completes the returned signal after releasing it.</summary>
    private TaskCompletionSource? WakeLocked(bool wake)
    {
        if (!wake)
        {
            return null;
        }

        if (_waiting != 0)
        {
            Monitor.PulseAll(_lock);
        }

        TaskCompletionSource? signal = _signal;
        _signal = null;
        return signal;
    }

    private void PulseWaiters()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowFenced(PullPartition<T> state) => ThrowHelper.InvalidOperation(
        $"commit of {state.Partition.Id} by consumer '{_memberId}' was refused: the consumer was declared failed (fenced); the partition's next owner resumes from the committed offset {state.Partition.Committed}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowWithdrawn(PullPartition<T> state, long offset) => ThrowHelper.InvalidOperation(
        $"commit of offset {offset} of {state.Partition.Id} by consumer '{_memberId}' was refused: the consumer no longer holds that partition as it was when it consumed the event (it was revoked, lost or sought since); its owner resumes from the committed offset {state.Partition.Committed}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowForeignResult(in ConsumeResult<T> result) => ThrowHelper.Argument(
        nameof(result),
        result.Source is null
            ? $"{nameof(result)} must be a result that consumer '{_memberId}' returned, was the default value"
            : $"{nameof(result)} must be a result that consumer '{_memberId}' returned, was {result} from another consumer");

    /// <summary>One copy in the ring: the event, its offset and the record of its partition (null once taken).</summary>
    private struct Entry
    {
        public PullPartition<T>? Source;
        public long Offset;
        public T Event;
    }

    /// <summary>The handler the fetch thread's dispatch calls: copies each event into the next slot from the tail.</summary>
    private struct Copier(Entry[] entries, long next, PullPartition<T> state) : IEventHandler<T>
    {
        /// <summary>The next slot to fill (the tail plus the copies made).</summary>
        public long Next = next;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch)
        {
            ref Entry entry = ref entries[(int)Next & (entries.Length - 1)];
            entry.Source = state;
            entry.Offset = offset;
            entry.Event = @event;
            Next++;
        }
    }
}
