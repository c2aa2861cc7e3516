using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Partitions;

namespace HotPath.Transactions;

/// <summary>
/// What one transactional publisher wrote to one partition in its current transaction: the first offset it claimed there
/// (its entry in the partition's <see cref="TransactionIndex"/>) and the ranges it published. Kept per publisher and
/// partition, and reused by the next transaction (no allocation per transaction once the ranges array has grown).
/// </summary>
/// <remarks>
/// <para><b>Design.</b> The publishing thread (the owner) writes <see cref="First"/>, <see cref="InTransaction"/> and the
/// ranges. A cleanup (<see cref="RecordAbortedLocked"/>, <see cref="CloseLocked"/>) may run on another thread — a
/// coordinator aborting a timed-out or fenced transaction — always under the publisher's completion lock. It reads the
/// ranges the owner recorded before the coordinator's process-wide barrier (see
/// <c>TransactionalPublisher.AbortFromOutside</c>); a range recorded later is cleaned up by the owner itself, which
/// reads the aborted state after recording it and before publishing it.</para>
/// <para><b>Publication of the ranges.</b> The owner writes a new pair, then <see cref="_count"/> (release); a grown
/// array is written (release) before the pairs that follow. Extending the last range writes its end (release). A
/// cleanup reads <see cref="_count"/>, then the array, then each end (acquire), and remembers how far it got
/// (<see cref="_cleanedCount"/>, <see cref="_cleanedLastTo"/>) so that a later cleanup adds only what is new, including
/// an extension of a range it already recorded.</para>
/// </remarks>
internal sealed class TransactionWrites
{
    private long[] _ranges = new long[8];
    private int _count;
    private int _cleanedCount;
    private long _cleanedLastTo = -1;

    public TransactionWrites(ITransactionalPartition partition) => Partition = partition;

    public ITransactionalPartition Partition { get; }

    /// <summary>The first offset claimed here in the current transaction, or -1. Owner-only.</summary>
    public long First { get; private set; } = -1;

    /// <summary>
    /// The first offset the current transaction may not claim here: <see cref="First"/> plus the ring's capacity (a
    /// read-committed reader cannot pass <see cref="First"/> before the transaction ends), or <see cref="long.MinValue"/>
    /// while no entry is open. Owner-only.
    /// </summary>
    public long SpanEnd { get; private set; } = long.MinValue;

    /// <summary>True once listed among the current transaction's partitions. Owner-only.</summary>
    public bool InTransaction { get; set; }

    /// <summary>Opens the transaction's entry in the partition's index at <paramref name="first"/>. Owner.</summary>
    public void Open(object transaction, long first, int capacity)
    {
        Debug.Assert(First < 0, "opened once per transaction");
        First = first;
        SpanEnd = first + capacity;
        // No fence needed before the owner's later state read: the coordinator's process-wide barrier orders it (see
        // TransactionalPublisher's remarks). The index's lock only serialises the entries.
        Partition.Transactions.Open(transaction, first);
    }

    /// <summary>Records the published range [<paramref name="from"/>, <paramref name="to"/>]. Owner, before it publishes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long from, long to)
    {
        // Owner-owned: plain reads of its own writes. The common case extends the last range (consecutive publishes).
        int last = _count - 1;
        long[] ranges = _ranges;
        if ((uint)last < (uint)ranges.Length && ranges[last] == from - 1)
        {
            // Release: a cleanup that reads the end sees the extension (or the owner cleans it up itself).
            Volatile.Write(ref ranges[last], to);
            return;
        }

        RecordNew(from, to);
    }

    /// <summary>Records [<paramref name="from"/>, <paramref name="to"/>] as a new range, growing the array when full.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordNew(long from, long to)
    {
        int count = _count;
        long[] ranges = _ranges;
        if (count == ranges.Length)
        {
            long[] grown = new long[ranges.Length * 2];
            ranges.AsSpan().CopyTo(grown);
            // Release: a cleanup that reads the new array sees the copied pairs.
            Volatile.Write(ref _ranges, grown);
            ranges = grown;
        }

        ranges[count] = from;
        ranges[count + 1] = to;
        // Release: the pair is written before a cleanup can count it.
        Volatile.Write(ref _count, count + 2);
    }

    /// <summary>A copy of the published ranges (pairs from, to, ascending). Owner, after its last publish of the transaction.</summary>
    public long[] CopyRanges()
    {
        long[] copy = _ranges.AsSpan(0, _count).ToArray();
        // Recorded in publish order, which per publisher and partition is offset order; sorted anyway, cheaply.
        for (int i = 2; i < copy.Length; i += 2)
        {
            for (int j = i; j > 0 && copy[j - 2] > copy[j]; j -= 2)
            {
                (copy[j - 2], copy[j]) = (copy[j], copy[j - 2]);
                (copy[j - 1], copy[j + 1]) = (copy[j + 1], copy[j - 1]);
            }
        }

        return copy;
    }

    /// <summary>
    /// Puts what was recorded since the last cleanup into the partition's aborted log. Under the publisher's completion
    /// lock (so two cleanups never interleave).
    /// </summary>
    public void RecordAbortedLocked()
    {
        // Acquire: the count, then the array (written before the count), then each end.
        int count = Volatile.Read(ref _count);
        long[] ranges = Volatile.Read(ref _ranges);
        if (_cleanedCount != 0)
        {
            // The last range recorded by an earlier cleanup may have been extended since.
            long end = Volatile.Read(ref ranges[_cleanedCount - 1]);
            if (end > _cleanedLastTo)
            {
                Partition.RecordAborted(_cleanedLastTo + 1, end);
                _cleanedLastTo = end;
            }
        }

        for (int i = _cleanedCount; i < count; i += 2)
        {
            long from = ranges[i];
            long to = Volatile.Read(ref ranges[i + 1]);
            Partition.RecordAborted(from, to);
            _cleanedLastTo = to;
        }

        _cleanedCount = count;
    }

    /// <summary>Closes the transaction's entry in the partition's index, if open; wakes read-committed readers.</summary>
    public void CloseLocked(object transaction)
    {
        if (Partition.Transactions.Close(transaction))
        {
            Partition.NotifyStableMoved();
        }
    }

    /// <summary>Forgets the transaction: the next one starts empty. Owner, under the completion lock, after the cleanup.</summary>
    public void Reset()
    {
        First = -1;
        SpanEnd = long.MinValue;
        InTransaction = false;
        _cleanedCount = 0;
        _cleanedLastTo = -1;
        // Release, for form: no cleanup can run before the next transaction records again.
        Volatile.Write(ref _count, 0);
    }
}
