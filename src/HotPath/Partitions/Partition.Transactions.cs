using System.Runtime.CompilerServices;

namespace HotPath.Partitions;

/// <content>Transactions: the partition's transaction index, aborted ranges and the claims of transactional publishers.</content>
public sealed partial class Partition<T> : ITransactionalPartition
{
    private readonly TransactionIndex _transactions = new();

    /// <summary>
    /// The last stable offset (Kafka's LSO): the first offset of the oldest open transaction on this partition, or the
    /// end offset when none is open. Read-committed readers read below it. Thread-safety: any thread; a snapshot.
    /// </summary>
    public long LastStableOffset
    {
        get
        {
            // The end first, then the LSO (see TransactionIndex's ordering).
            long end = EndOffset;
            return Math.Min(end, _transactions.LastStable);
        }
    }

    /// <inheritdoc/>
    TransactionIndex ITransactionalPartition.Transactions => _transactions;

    /// <inheritdoc/>
    HotPath.Durability.JournalProgress? ITransactionalPartition.DurableJournal => Journal;

    internal TransactionIndex Transactions => _transactions;

    /// <inheritdoc/>
    void ITransactionalPartition.RecordAborted(long from, long to)
    {
        // Under the registration lock, so that no reader registers between the bound and the pruning (as for gaps).
        lock (_registrationLock)
        {
            _transactions.Aborted.Add(from, to, GapPruneBoundLocked());
        }
    }

    /// <inheritdoc/>
    void ITransactionalPartition.NotifyStableMoved()
    {
        // Asymmetric Dekker, fast side, as in PublishCore: the LSO was written (release, under the index lock) before
        // this load; a reader about to park raised its bit and ran a process-wide barrier before its re-check, which
        // reads the LSO (ReadCursor.Available). Either we see its bit, or its re-check sees the new LSO.
        if (Volatile.Read(ref _publishWakeNeeded.Value) != 0)
        {
            WakeParked();
        }
    }

    /// <summary>
    /// A transactional publisher's claim of <paramref name="count"/> offsets: the first, or -1 when no room appeared before
    /// <paramref name="deadline"/> (see <c>ClaimCore</c>). Nothing is claimed on -1 or on an exception.
    /// </summary>
    internal long ClaimForTransaction(int count, long deadline, CancellationToken cancellationToken)
    {
        CheckBatchCount(count);
        return ClaimCore(count, deadline, cancellationToken);
    }

    /// <summary>
    /// A single writer's claim of the next offset when it is below <paramref name="limit"/> and needs neither a wait nor
    /// the slow paths (the ring has room by the gating cache, no claim open, nothing given back, partition open): the
    /// offset, or -1 (then nothing was claimed; <see cref="ClaimForTransaction"/> does the rest). Called on the writing
    /// thread; the same checks as <see cref="ClaimCore"/>'s single-writer fast path, plus the limit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long TryClaimOneBelow(long limit)
    {
        if (_multiWriter)
        {
            return -1;
        }

        // Writer-owned fields, read by the writer: plain (see ClaimCore). The state last, acquire as in ClaimCore: a
        // Complete or Dispose by another thread is seen here or on a later claim, and then the slow path throws.
        long next = _writerNext.Value;
        if (next >= limit
            || next != _writerPublished.Value + 1
            || next - _capacity >= _gatingCached.Value
            || Volatile.Read(ref _state) != StateOpen)
        {
            return -1;
        }

        AnnounceReach(next + 1);
        return next;
    }

    /// <summary>Copies <paramref name="events"/> into the claimed slots from <paramref name="first"/> on.</summary>
    internal void CopyInClaimed(ReadOnlySpan<T> events, long first) => CopyIn(events, first);

    /// <summary>
    /// The offset before the next one a claim gets, for a transaction's span check: multi-writer, the claimed cursor;
    /// single writer (called on the writing thread, whose fields these are), the next claim's offset - 1, which after an
    /// abandoned claim lies below the announced reach (offsets given back are claimed again).
    /// </summary>
    internal long ClaimedReach()
    {
        if (_multiWriter)
        {
            // Acquire: the latest claimed offset.
            return Volatile.Read(ref _cursor.Value);
        }

        // Writer-owned fields, read by the writer: plain.
        return (_writerResume != NoResume ? _writerResume : _writerNext.Value) - 1;
    }
}
