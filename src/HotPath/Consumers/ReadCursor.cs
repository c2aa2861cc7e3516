using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Internal;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>
/// The reading state of one reader (a pull reader, or one group on one partition): its position (next offset to
/// hand out), its committed offset and its view of abandoned offsets. The dispatch loops live here, once.
/// </summary>
/// <remarks>
/// <para><b>Lossless</b> (the default): the committed offset is a <see cref="Sequence"/> registered with the partition
/// as a gating sequence. The reading thread releases it after the handler is done with every slot below it; the
/// writer acquires it before reusing a slot. Committed never exceeds position.</para>
/// <para><b>Lossy</b>: nothing is registered; the writer may lap the reader. The reader copies a chunk of slots into
/// its own buffer, issues a full fence, then reads the writer's reach (<see cref="Partition{T}.WriterReach"/>): copies
/// of offsets that the writer may have started to reuse are discarded and counted as lost, the rest are handed to
/// the handler from the buffer; its one view of the chunk's gaps is read before that fence (see <see cref="GapLog"/>).
/// A handler never sees an event overwritten mid-read, nor the empty slot of a gap.</para>
/// <para><b>Fencing</b>: <see cref="Fork"/> seals this cursor's committed sequence (<see cref="Sequence.Seal"/>) and
/// hands its last committed value to the replacement, then marks this cursor fenced (release); the dispatch loops
/// check the flag before every event, so a member declared failed stops within one event of waking up. Commits are
/// CASes on the sequence (<see cref="TryCommit"/>), so a fenced reader's commit fails whenever it runs, also when it
/// checked the flag just before the fence: after a fence, nothing the old reader does moves a committed offset.</para>
/// <para><b>Read-committed</b>: the cursor also reads below the partition's last stable offset (the first offset of its
/// oldest open transaction) and steps over the offsets of aborted transactions like gaps, counting them
/// (<see cref="Aborted"/>); see <see cref="TransactionIndex"/> for the order of its reads. Lossy cursors read uncommitted.</para>
/// <para><b>Transactional commits</b> (<see cref="ForkLock"/>): a transaction that commits this cursor's offsets holds the
/// lock from its check that the cursor is not fenced until its commit landed; <see cref="Fork"/> takes it too, so a
/// fence comes either before the transaction's decision (which then aborts) or after its offsets moved.</para>
/// <para>Thread-safety: one reading thread at a time; <see cref="Committed"/>, <see cref="Lag"/> and
/// <see cref="Lost"/> from any thread.</para>
/// </remarks>
internal sealed partial class ReadCursor<T> : ITransactionalCursor
    where T : struct
{
    private const int LossyChunk = 256;

    private static long s_nextId;

    private readonly Partition<T> _partition;
    private readonly Sequence _committed;
    private readonly bool _lossy;
    private readonly TransactionIndex? _stable;
    private readonly T[]? _copies;
    private readonly object _forkLock = new();
    private long _position;
    private long _nextGap = long.MaxValue;
    private long _nextGapLogged = long.MaxValue;
    private long _nextAborted = long.MaxValue;
    private int _abortedVersionSeen = -1;
    private long _aborted;
    private long _gapFrom;
    private long[]? _lossyGaps;
    private long _lost;
    private long _gaps;
    private int _gapVersionSeen = -1;
    private long _dispatchLast;
    private bool _dispatching;
    private bool _fenced;

    public ReadCursor(
        Partition<T> partition, OffsetReset reset, long? offset, bool lossy = false, bool readCommitted = false, bool journaledOnly = false)
    {
        Debug.Assert(!(lossy && readCommitted), "lossy cursors read uncommitted (validated by the options)");
        _partition = partition;
        _lossy = lossy;
        _stable = readCommitted ? partition.Transactions : null;
        if (lossy)
        {
            _copies = new T[Math.Min(LossyChunk, partition.Capacity)];
            long start = offset ?? (reset == OffsetReset.Latest ? partition.EndOffset : Math.Max(partition.RingStart, partition.WriterReach() + 1 - partition.Capacity));
            _committed = new Sequence(start);
        }
        else
        {
            _committed = partition.AddGatingSequence(reset, offset, out long ringFrom);
            if (partition.Journal is not null && _committed.ReadOwned() < ringFrom)
            {
                _journalUntil = ringFrom;
            }
        }

        _journaledOnly = journaledOnly && partition.Journal is not null;
        _position = _committed.Read();
    }

    private ReadCursor(Partition<T> partition, Sequence committed, bool lossy, TransactionIndex? stable, long lost, long gaps, long aborted)
    {
        _partition = partition;
        _lost = lost;
        _gaps = gaps;
        _aborted = aborted;
        _committed = committed;
        _lossy = lossy;
        _stable = stable;
        _copies = lossy ? new T[Math.Min(LossyChunk, partition.Capacity)] : null;
        _position = committed.Read();
    }

    public Partition<T> Partition => _partition;

    /// <summary>
    /// The owning member's handler-context handle for this cursor, or null before its first dispatch. Written and read by
    /// the owning member's thread only (a partition has one owner at a time, and ownership moves with a full fence).
    /// </summary>
    public ContextPartition? HandlerContext { get; set; }

    /// <summary>True for a lossy cursor, which never gates the writer.</summary>
    public bool IsLossy => _lossy;

    /// <summary>True for a read-committed cursor.</summary>
    public bool IsReadCommitted => _stable is not null;

    /// <summary>The lock a transaction holds while it commits this cursor's offsets; <see cref="Fork"/> takes it too.</summary>
    public object ForkLock => _forkLock;

    /// <summary>The next offset to hand out. Reading thread.</summary>
    public long Position => _position;

    /// <summary>
    /// The position as another thread sees it: the session watchdog's progress signal. Any thread; racy by design.
    /// </summary>
    /// <remarks>
    /// Acquire read of a field the reading thread stores plainly before every handler call (see
    /// <see cref="DispatchRun{THandler}"/>): no fence on the per-event path. The store cannot be held back past a slow
    /// handler call (the call is opaque to the JIT, and a store buffer drains in far less than a watchdog tick), so a
    /// watchdog that sees the same value over a session time-out saw a member in one call; a stale value only delays
    /// its verdict. A 64-bit read is atomic (Volatile.Read of a long is atomic on every platform).
    /// </remarks>
    public long ObservedPosition => Volatile.Read(ref _position);

    /// <summary>The committed offset (next offset to read after a restart). Any thread; acquire.</summary>
    public long Committed => _committed.Read();

    /// <summary>
    /// Events readable but not yet committed: up to the end offset, or read-committed up to the last stable offset.
    /// Any thread; a snapshot.
    /// </summary>
    public long Lag
    {
        get
        {
            long end = _partition.EndOffset;
            // After the end (see TransactionIndex's ordering).
            if (_stable is not null)
            {
                end = Math.Min(end, _stable.LastStable);
            }

            return Math.Max(0, end - _committed.Read());
        }
    }

    /// <summary>Events a lossy cursor skipped because the writer lapped it. Any thread.</summary>
    public long Lost => Volatile.Read(ref _lost);

    /// <summary>Offsets stepped over because they are gaps (abandoned multi-writer claims). Any thread.</summary>
    public long Gaps => Volatile.Read(ref _gaps);

    /// <summary>Offsets a read-committed cursor stepped over because their transaction aborted. Any thread.</summary>
    public long Aborted => Volatile.Read(ref _aborted);

    /// <summary>
    /// Offsets passed that were not handed to the handler (lost plus gaps). Reading thread (plain reads of its own
    /// counters): a dispatch's handled count is the offsets it passed minus the growth of this value.
    /// </summary>
    public long NotHandled => _lost + _gaps + _aborted;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public string Describe() => $"partition {_partition.Id} of '{_partition.TopicName}'";

    /// <summary>True once <see cref="Fork"/> replaced this cursor. Any thread; acquire.</summary>
    public bool IsFenced => Volatile.Read(ref _fenced);

    /// <summary>
    /// A new cursor at this one's last committed offset that replaces it (as the partition's gating sequence, when
    /// lossless); this cursor's sequence is sealed and detached, and the cursor fenced. See
    /// <c>Partition.ReplaceGatingSequence</c>. Called once per cursor, by the coordinator.
    /// </summary>
    public ReadCursor<T> Fork()
    {
        // A transaction that is committing this cursor's offsets finishes first (see ForkLock).
        lock (_forkLock)
        {
            // Lossless: the partition seals and replaces the gating sequence under its registration lock. Lossy: nothing
            // gates, sealing alone stops the fenced reader's commits.
            Sequence replacement = _lossy ? new Sequence(_committed.Seal()) : _partition.ReplaceGatingSequence(_committed);
            Debug.Assert(replacement.Read() != Sequence.Sealed, "a cursor is forked once");
            // Release: the reading thread's per-event acquire read of the flag sees it, and stops.
            Volatile.Write(ref _fenced, true);
            // The counters carry over (acquire reads; a late increment by the fenced reader is lost, benign for statistics).
            return new ReadCursor<T>(_partition, replacement, _lossy, _stable, Lost, Gaps, Aborted)
            {
                // The fenced reader's sequence held the writers, so the ring is still intact from here on.
                _journalUntil = _journalUntil,
                _journaledOnly = _journaledOnly,
            };
        }
    }

    /// <summary>The highest offset that may be read now (position - 1 when none).</summary>
    public long Available() => ReadableEnd(_position, long.MaxValue);

    /// <summary>
    /// The highest offset readable from <paramref name="from"/> on, at most <paramref name="limit"/>: published, and for a
    /// read-committed cursor below the last stable offset, read after the published end (see <see cref="TransactionIndex"/>).
    /// </summary>
    private long ReadableEnd(long from, long limit)
    {
        if (from < _journalUntil)
        {
            // Catching up from the journal: it holds every offset below the ring's part (see ReadCursor.Journal.cs);
            // nothing once the topic closed it.
            return _partition.Journal!.IsClosed ? from - 1 : Math.Min(_journalUntil - 1, limit);
        }

        TransactionIndex? stable = _stable;
        if (stable is not null && stable.LastStable <= from)
        {
            // An open transaction holds this reader at `from`, whatever is published: nothing is readable. Checked first
            // so that a reader held here polls the last stable offset's line, written once per transaction, instead of
            // the published cursor's, which the writer writes for every event (each poll would take that line from the
            // writer's core). Only ever an early "nothing": a stale value is at most lower than the current one (an
            // entry opens at a newly claimed offset, at or above every reader's position), and the next poll re-reads.
            return from - 1;
        }

        long last = _partition.HighestPublished(from, limit);
        if (stable is not null)
        {
            // After the end (see TransactionIndex's ordering).
            last = Math.Min(last, stable.LastStable - 1);
        }

        return _journaledOnly ? JournalCap(last) : last;
    }

    /// <summary>Hands up to <paramref name="max"/> available events to <paramref name="handler"/>; returns how many offsets it passed.</summary>
    public int Dispatch<THandler>(ref THandler handler, int max)
        where THandler : IEventHandler<T>
    {
        if (_lossy)
        {
            return DispatchLossy(ref handler, max);
        }

        if (ReadsJournal)
        {
            return DispatchJournal(ref handler, max);
        }

        if (!BeginDispatch(max, out long first, out long last))
        {
            return 0;
        }

        try
        {
            DispatchRange(ref handler, first, last);
        }
        finally
        {
            _dispatching = false;
        }

        return (int)(_position - first);
    }

    /// <summary>Hands up to <paramref name="max"/> available events as contiguous spans.</summary>
    public int DispatchBatch<THandler>(ref THandler handler, int max)
        where THandler : IBatchHandler<T>
    {
        if (_lossy)
        {
            var adapter = new BatchAdapter<THandler>(handler);
            int count = DispatchLossy(ref adapter, max);
            handler = adapter.Handler;
            return count;
        }

        if (ReadsJournal)
        {
            return DispatchJournalBatch(ref handler, max);
        }

        if (!BeginDispatch(max, out long first, out long last))
        {
            return 0;
        }

        try
        {
            Partition<T> partition = _partition;
            long offset = first;
            while (offset <= last)
            {
                if (offset == _nextGap)
                {
                    offset = StepOverGap(offset);
                    continue;
                }

                // Acquire: pairs with the release in Fork.
                if (Volatile.Read(ref _fenced))
                {
                    break;
                }

                // A run stops at the ring's end, at the next gap and at `last`.
                int toWrap = partition.Capacity - ((int)offset & (partition.Capacity - 1));
                long runEnd = Math.Min(Math.Min(last, offset + toWrap - 1), _nextGap - 1);
                int count = (int)(runEnd - offset + 1);
                handler.OnBatch(partition.SlotSpan(offset, count), partition.Id, offset);
                offset = runEnd + 1;
                _position = offset;
            }
        }
        finally
        {
            _dispatching = false;
        }

        return (int)(_position - first);
    }

    /// <summary>
    /// The prologue of both lossless dispatch loops: the range [first, last] that is published (at most
    /// <paramref name="max"/> events), with the gap view refreshed and the cursor marked as dispatching (the handler may
    /// commit up to <paramref name="last"/>). False when nothing new is published; the caller clears the mark.
    /// </summary>
    private bool BeginDispatch(int max, out long first, out long last)
    {
        first = _position;
        last = ReadableEnd(first, first + max - 1);
        if (last < first)
        {
            return false;
        }

        RefreshGaps(first);
        _dispatchLast = last;
        _dispatching = true;
        return true;
    }

    /// <summary>Copies the next event out, if any. For pull-style readers.</summary>
    public bool TryTake(out T @event, out long offset)
    {
        while (true)
        {
            offset = _position;
            if (ReadableEnd(offset, offset) < offset)
            {
                @event = default;
                return false;
            }

            RefreshGaps(offset);
            if (offset == _nextGap)
            {
                StepOverGap(offset);
                continue;
            }

            if (offset < _journalUntil)
            {
                int read = TryReadJournal(offset, out @event);
                if (read == 0)
                {
                    return false;
                }

                _position = offset + 1;
                if (read < 0)
                {
                    continue;
                }

                return true;
            }

            _position = offset + 1;

            @event = _partition.SlotRef(offset);
            return true;
        }
    }

    /// <summary>Steps over the event at the position (after the error policy gave up on it). Reading thread.</summary>
    public void SkipCurrent() => _position++;

    /// <summary>A copy of the event at the position, for dead-lettering. Reading thread.</summary>
    public T CopyCurrent()
    {
        if (ReadsJournal && TryReadJournal(_position, out T @event) > 0)
        {
            return @event;
        }

        return _partition.SlotRef(_position);
    }

    /// <summary>Commits everything handed out so far; false when the cursor was fenced. Reading thread.</summary>
    /// <remarks>
    /// The position may lie below the committed offset: a handler committed through its context (or the group's
    /// <c>Commit</c>) past the event that then failed, and the loop stopped at that event. Nothing moves then (the
    /// committed offset never goes back), and the error policy goes on with the failed event.
    /// </remarks>
    public bool TryCommitPosition()
    {
        // Acquire: as in TryCommit (the handler's own commit on this thread, or a transaction's from another). Sealed lies
        // far below any position, so a fenced cursor goes on to TryCommit, which reports it.
        return _position < _committed.Read() || TryCommit(_position);
    }

    /// <summary>
    /// Commits <paramref name="nextOffset"/>, which must lie between the committed offset and the position; false,
    /// with nothing moved, when the cursor was fenced (its sequence sealed). Reading thread.
    /// </summary>
    public bool TryCommit(long nextOffset)
    {
        // Acquire: the reading thread wrote the value last (commit, seek), or a transaction committed it from another
        // thread (TryCommitTransactional). A seal by the coordinator may be missed here; the CAS below catches it.
        long committed = _committed.Read();
        if (nextOffset == committed)
        {
            return true;
        }

        // During a dispatch the handler may commit up to the end of the batch it is in (it commits what it has seen).
        long limit = _dispatching ? _dispatchLast + 1 : _position;
        if (committed != Sequence.Sealed && (nextOffset < committed || nextOffset > limit))
        {
            ThrowCommitOutOfRange(nextOffset, committed, limit);
        }

        // CAS from the value read (full fence, so also a release: the handler's reads of every slot below nextOffset
        // happen before the writer sees the value). Fails, moving nothing, once Fork sealed the sequence; a transaction
        // that committed meanwhile (from another thread) makes it retry, or find its work done.
        while (!_committed.TryAdvance(committed, nextOffset))
        {
            committed = _committed.Read();
            if (committed == Sequence.Sealed)
            {
                return false;
            }

            if (committed >= nextOffset)
            {
                return true;
            }
        }

        if (!_lossy)
        {
            _partition.NotifyReaderProgress();
        }

        Debug.Assert(nextOffset <= limit, "committed never passes the position");
        return true;
    }

    /// <inheritdoc/>
    public long CommitLimit => _dispatching ? _dispatchLast + 1 : _position;

    /// <inheritdoc/>
    public long Id { get; } = Interlocked.Increment(ref s_nextId);

    /// <summary>TryCommit's throw, with its message built here: a commit runs per batch and keeps a small frame.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCommitOutOfRange(long nextOffset, long committed, long limit) =>
        ThrowHelper.ArgumentOutOfRange(nameof(nextOffset), $"must be between the committed offset {committed} and the position {limit}", nextOffset);

    /// <inheritdoc/>
    public bool TryCommitTransactional(long nextOffset)
    {
        // Any thread (a transaction may commit off the reading thread): a CAS loop that only raises the value, with no
        // check of the reading thread's fields. Full fence per CAS (a release, as in TryCommit). Never throws.
        long current = _committed.Read();
        while (current < nextOffset)
        {
            if (current == Sequence.Sealed)
            {
                return false;
            }

            if (_committed.TryAdvance(current, nextOffset))
            {
                if (!_lossy)
                {
                    _partition.NotifyReaderProgress();
                }

                return true;
            }

            current = _committed.Read();
        }

        return current != Sequence.Sealed;
    }

    /// <summary>Moves position and committed offset to <paramref name="offset"/> (within the retained window).</summary>
    public void Seek(long offset)
    {
        if (_lossy)
        {
            long low = Math.Max(_partition.RingStart, _partition.WriterReach() + 1 - _partition.Capacity);
            long end = _partition.EndOffset;
            if (offset < low || offset > end)
            {
                ThrowHelper.ArgumentOutOfRange(
                    nameof(offset), $"must be within the retained window [{low}, {end}] of partition {_partition.Id} of '{_partition.TopicName}'", offset);
            }

            if (!_committed.TrySet(offset))
            {
                ThrowHelper.InvalidOperation($"the reader of partition {_partition.Id} of '{_partition.TopicName}' was fenced: its seek to {offset} was refused");
            }
        }
        else
        {
            long ringFrom = _partition.SeekGatingSequence(_committed, offset);
            _journalUntil = _partition.Journal is not null && offset < ringFrom ? ringFrom : long.MinValue;
        }

        _position = offset;
        ForgetSkips();
    }

    /// <summary>Re-reads the committed offset as the position: a new owner resumes there.</summary>
    public void ResetToCommitted()
    {
        _position = _committed.Read();
        ForgetSkips();
    }

    /// <summary>
    /// Moves the position back to <paramref name="position"/>, between the committed offset and the position, so that the
    /// events from there are handed out again (a transactional member whose transaction aborted). Reading thread.
    /// </summary>
    public void Rewind(long position)
    {
        Debug.Assert(position >= _committed.ReadOwned() && position <= _position, "a rewind stays between committed and position");
        UncountSkips(position, _position - 1);
        _position = position;
        ForgetSkips();
    }

    /// <summary>Unregisters from the partition: the writer stops waiting for this reader.</summary>
    public void Close()
    {
        if (!_lossy)
        {
            _partition.RemoveGatingSequence(_committed);
        }
    }

    /// <summary>
    /// Hands out [first, last], stepping over gaps (abandoned multi-writer claims). The common case, no gap in the
    /// range (always so for a single-writer partition), is one run.
    /// </summary>
    private void DispatchRange<THandler>(ref THandler handler, long first, long last)
        where THandler : IEventHandler<T>
    {
        long nextGap = _nextGap;
        if (nextGap > last)
        {
            DispatchRun(ref handler, first, last, last);
            return;
        }

        // End of batch marks the last event the handler will see: when the batch ends in gaps, that is earlier.
        long endOfBatch = LastNotSkipped(first, last);
        long offset = first;
        while (offset <= last)
        {
            long runEnd = Math.Min(last, nextGap - 1);
            if (runEnd >= offset && !DispatchRun(ref handler, offset, runEnd, endOfBatch))
            {
                return;
            }

            if (runEnd == last)
            {
                return;
            }

            // nextGap == runEnd + 1.
            offset = StepOverGap(nextGap);
            nextGap = _nextGap;
        }
    }

    /// <summary>
    /// The per-event loop: hands out [first, last] (no gaps), or stops early at a fence (returns false). Kept apart
    /// from the caller's exception handling: a loop inside a try block keeps its state in memory (the handler region
    /// may read it), which puts a store-to-load round trip on every event. Here the offset stays in a register;
    /// <c>_position</c> is stored before each handler call (a store nothing waits for), so after an exception it
    /// names the failing event, which is then redelivered.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool DispatchRun<THandler>(ref THandler handler, long first, long last, long endOfBatch)
        where THandler : IEventHandler<T>
    {
        Partition<T> partition = _partition;
        T[] slots = partition.Slots;
        int id = partition.Id;
        for (long offset = first; offset <= last; offset++)
        {
            // Acquire: pairs with the release in Fork. A fenced cursor hands out nothing more.
            if (Volatile.Read(ref _fenced))
            {
                _position = offset;
                return false;
            }

            _position = offset;
            // The handler reads the slot by reference; the slot cannot be reused before we commit past it. The mask is
            // the array's length - 1 (a power of two): one register fewer in the loop than a mask local.
            handler.OnEvent(ref slots[(int)offset & (slots.Length - 1)], id, offset, offset == endOfBatch);
        }

        _position = last + 1;
        return true;
    }
}
