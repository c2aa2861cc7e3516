using HotPath.Consumers;

namespace HotPath.Durability;

/// <summary>
/// A committed transaction whose events went to several durable partitions (or that also carried consumer offsets on a
/// durable topic), on its way to durability: its parts are journaled as tagged batches, the last journaller to make its
/// part durable writes the commit record (<see cref="TransactionLog.Commit"/>), and from then on the parts are
/// acknowledged and given their end markers.
/// </summary>
/// <remarks>
/// <para><b>States.</b> Pending → Writing → Durable (or Failed, when the log refused the record), or Pending → Abandoned
/// (a participant's topic closed before the others made their parts durable: the record is never written, recovery
/// aborts the transaction). One CAS from Pending decides between writing and abandoning.</para>
/// <para><b>Ordering.</b> <see cref="PartDurable"/> is a locked decrement (full fence): every part's journal write and
/// sync happened before the decrement that reaches zero, so the record follows every part on disk. <see cref="_state"/>
/// is written with a release after the record is in the log; journallers read it with an acquire before they
/// acknowledge past the transaction or write its end marker.</para>
/// <para>Thread-safety: any thread.</para>
/// </remarks>
internal sealed class DurableCommit
{
    private const int Pending = 0;
    private const int Writing = 1;
    private const int DurableState = 2;
    private const int Abandoned = 3;
    private const int FailedState = 4;

    private readonly TransactionLog? _log;
    private readonly TransactionRecord _record;
    private readonly bool _sync;
    private readonly JournalProgress[] _participants;
    private readonly (ITransactionalOffsetTarget Target, long Offset)[] _offsets;
    private readonly List<DurableCommit> _successors = [];
    private int _remaining;
    private int _state;
    private Exception? _failure;

    /// <param name="log">The log the record goes to, or null for a local commit (one partition, no offsets): no record, the end marker decides.</param>
    /// <param name="record">The record.</param>
    /// <param name="sync">Whether the record is forced to stable storage (any participant's policy is not None).</param>
    /// <param name="participants">The journals that report: one per output part and one per input wait.</param>
    /// <param name="offsets">The consumer offsets the record carries, released for persistence once it is durable.</param>
    public DurableCommit(
        TransactionLog? log, TransactionRecord record, bool sync, JournalProgress[] participants, (ITransactionalOffsetTarget Target, long Offset)[] offsets)
    {
        _offsets = offsets;
        _log = log;
        _record = record;
        _sync = sync;
        _participants = participants;
        _remaining = participants.Length;
    }

    /// <summary>The log the record goes to, or null for a local commit.</summary>
    public TransactionLog? Log => _log;

    /// <summary>
    /// A commit of one partition without consumer offsets: no record; its end marker is the commit point, so its events
    /// are acknowledged only once the marker is durable (a recovery aborts tagged batches without one).
    /// </summary>
    public bool IsLocal => _log is null;

    /// <summary>The transaction's number.</summary>
    public long Transaction => _record.Transaction;

    /// <summary>True once the commit record is in the log (durably, per policy). Acquire.</summary>
    public bool IsDurable => Volatile.Read(ref _state) == DurableState;

    /// <summary>True when the record will never be written (abandoned or failed). Acquire.</summary>
    public bool IsLost => Volatile.Read(ref _state) is Abandoned or FailedState;

    /// <summary>Why the record could not be written, or null.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>
    /// The transaction decided: its consumer offsets are held back from persistence until the record is durable, and the
    /// record waits for the record of every earlier commit of the same group partition that is not durable yet (its
    /// offset covers their input: written first, a crash would keep it and lose theirs). Before any part is registered.
    /// </summary>
    public void HoldOffsets()
    {
        foreach ((ITransactionalOffsetTarget target, long offset) in _offsets)
        {
            if (target.HoldForDurableCommit(offset, this) is DurableCommit before)
            {
                // One more report to wait for: the predecessor's, when its record is durable.
                Interlocked.Increment(ref _remaining);
                before.AddSuccessor(this);
            }
        }
    }

    /// <summary>
    /// A journaller made its part durable (per its policy). The last report writes the commit record on the reporting
    /// thread and wakes the other participants; a failure to write it throws to that thread (which fails its journal).
    /// </summary>
    public void PartDurable()
    {
        // Full fence: this part's writes happen before the record that the last decrement writes.
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            Settle(this);
        }
    }

    /// <summary>
    /// A participant's topic is closing: abandons the commit if its record was not started (true then), and its
    /// successors with it; waits up to <paramref name="timeout"/> for a record being written. False when the record is
    /// durable or failed.
    /// </summary>
    public bool TryAbandon(TimeSpan timeout)
    {
        if (Interlocked.CompareExchange(ref _state, Abandoned, Pending) == Pending)
        {
            Settle(this);
            return true;
        }

        var wait = new SpinWait();
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Volatile.Read(ref _state) == Writing && Environment.TickCount64 < deadline)
        {
            wait.SpinOnce(sleep1Threshold: 20);
        }

        return Volatile.Read(ref _state) == Abandoned;
    }

    /// <summary>
    /// Writes <paramref name="first"/>'s record when it is still pending, then moves its successors on: a durable commit
    /// gives each its report (the last one writes that record too), an abandoned or failed one abandons them. A loop over
    /// a work list, not a recursion, however long the chain. Throws <paramref name="first"/>'s own write failure.
    /// </summary>
    private static void Settle(DurableCommit first)
    {
        Exception? failure = null;
        Queue<DurableCommit>? work = null;
        for (DurableCommit? commit = first; commit is not null; commit = work is { Count: > 0 } ? work.Dequeue() : null)
        {
            if (Interlocked.CompareExchange(ref commit._state, Writing, Pending) == Pending)
            {
                commit.WriteRecord(ref failure, isFirst: ReferenceEquals(commit, first));
            }

            foreach (DurableCommit successor in commit.TakeSuccessors())
            {
                if (commit.IsDurable ? Interlocked.Decrement(ref successor._remaining) == 0 : Interlocked.CompareExchange(ref successor._state, Abandoned, Pending) == Pending)
                {
                    (work ??= new Queue<DurableCommit>()).Enqueue(successor);
                }
            }
        }

        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Writes the record (state Writing), then Durable and the offsets released, or Failed; wakes the participants.</summary>
    private void WriteRecord(ref Exception? failure, bool isFirst)
    {
        try
        {
            _log?.Commit(_record, _sync);
        }
        catch (Exception e) when (e is JournalException or IOException or ArgumentException)
        {
            Volatile.Write(ref _failure, e);
            // Release: the failure is set before a participant sees the state.
            Volatile.Write(ref _state, FailedState);
            WakeParticipants();
            if (isFirst)
            {
                failure = e;
            }

            return;
        }

        foreach ((ITransactionalOffsetTarget target, _) in _offsets)
        {
            target.ReleaseDurableCommit(this);
        }

        // Release: the record is in the log before any journaller acknowledges past the transaction.
        Volatile.Write(ref _state, DurableState);
        WakeParticipants();
    }

    private void WakeParticipants()
    {
        foreach (JournalProgress participant in _participants)
        {
            participant.WakeJournaller();
        }
    }

    /// <summary>Makes <paramref name="successor"/> wait for this record (see <see cref="HoldOffsets"/>); settles it at once when this one ended.</summary>
    private void AddSuccessor(DurableCommit successor)
    {
        lock (_successors)
        {
            // The final state is written before TakeSuccessors takes this lock: read under it, a non-final state means
            // the successor will be taken.
            if (Volatile.Read(ref _state) is Pending or Writing)
            {
                _successors.Add(successor);
                return;
            }
        }

        // Ended meanwhile. The successor's parts are not registered yet, so its count cannot reach zero here.
        if (IsDurable)
        {
            Interlocked.Decrement(ref successor._remaining);
        }
        else
        {
            successor.TryAbandon(TimeSpan.Zero);
        }
    }

    /// <summary>The successors to move on, once this commit's state is final; later ones are settled by <see cref="AddSuccessor"/>.</summary>
    private DurableCommit[] TakeSuccessors()
    {
        if (Volatile.Read(ref _state) is Pending or Writing)
        {
            return [];
        }

        lock (_successors)
        {
            if (_successors.Count == 0)
            {
                return [];
            }

            DurableCommit[] successors = [.. _successors];
            _successors.Clear();
            return successors;
        }
    }

}

/// <summary>
/// One durable partition's share of a <see cref="DurableCommit"/>: the offset ranges it published there (sorted pairs
/// from, to). Registered with the partition's journal before the transaction's entry closes (so the journaller, which
/// reads past the transaction only after the last stable offset moved, always finds it), then owned by the journaller.
/// </summary>
/// <remarks>Thread-safety: built by the committing thread, handed over under the journal's lock, then journaller-only.</remarks>
internal sealed class TransactionPart(DurableCommit commit, long[] ranges, long inputEnd = -1)
{
    public DurableCommit Commit { get; } = commit;

    /// <summary>Pairs [from, to], ascending, not overlapping; empty for an input wait.</summary>
    public long[] Ranges { get; } = ranges;

    /// <summary>For an input wait (no ranges): the committed input offset the journal must hold everything below; else -1.</summary>
    public long InputEnd { get; } = inputEnd;

    /// <summary>True for an input wait: nothing of the transaction is written here, its record only waits for this journal.</summary>
    public bool IsInput => Ranges.Length == 0;

    public long First => IsInput ? long.MaxValue : Ranges[0];

    public long Last => IsInput ? InputEnd - 1 : Ranges[^1];

    /// <summary>Journaller: <see cref="DurableCommit.PartDurable"/> was called for this part.</summary>
    public bool ReportedDurable { get; set; }

    /// <summary>Journaller: the end marker is in the journal.</summary>
    public bool EndWritten { get; set; }

    /// <summary>The first range that ends at or after <paramref name="offset"/> (it holds the offset, or starts above it); false past the last.</summary>
    public bool TryFindRange(long offset, out long from, out long to)
    {
        for (int i = 0; i < Ranges.Length; i += 2)
        {
            if (Ranges[i + 1] >= offset)
            {
                (from, to) = (Ranges[i], Ranges[i + 1]);
                return true;
            }
        }

        (from, to) = (0, 0);
        return false;
    }
}
