namespace HotPath.CrashChild;

/// <summary>
/// The event of the crash child's transactional mode: which producer (a number per transactional id) published it in
/// which of its transactions (a sequence number per producer), its index among the transaction's events and their count,
/// whether the transaction was decided to be aborted before any event of it was published, and a checksum of all of
/// these. A plain (non-transactional) event has <see cref="Txn"/> -1 and <see cref="Index"/> its producer's plain
/// sequence number.
/// </summary>
/// <remarks>Thread-safety: a value type; copies are independent.</remarks>
public struct TxnCrashEvent
{
    /// <summary>The producer: the number of the transactional id that published the event.</summary>
    public long Producer;

    /// <summary>The producer's transaction sequence number, or -1 for a plain event.</summary>
    public long Txn;

    /// <summary>The index within the transaction (from 0), or the producer's plain sequence number.</summary>
    public int Index;

    /// <summary>The number of events in the transaction (1 for a plain event).</summary>
    public int Count;

    /// <summary>1 when the transaction was decided to be aborted before its first publish, else 0.</summary>
    public long WillAbort;

    /// <summary>A mix of the other fields; see <see cref="ChecksumOf"/>.</summary>
    public long Checksum;

    /// <summary>True for an event published outside any transaction.</summary>
    public readonly bool IsPlain => Txn == -1;

    /// <summary>True when <see cref="Checksum"/> matches the other fields (and is not zero, as in a zeroed slot).</summary>
    public readonly bool IsIntact => Checksum != 0 && Checksum == ChecksumOf(Producer, Txn, Index, Count, WillAbort);

    /// <summary>Builds the event with its checksum.</summary>
    /// <param name="producer">The producer number.</param>
    /// <param name="txn">The transaction sequence number, or -1 for a plain event.</param>
    /// <param name="index">The index within the transaction.</param>
    /// <param name="count">The transaction's event count.</param>
    /// <param name="willAbort">Whether the transaction will be aborted.</param>
    /// <returns>The event.</returns>
    public static TxnCrashEvent Create(long producer, long txn, int index, int count, bool willAbort)
    {
        long abort = willAbort ? 1 : 0;
        return new()
        {
            Producer = producer,
            Txn = txn,
            Index = index,
            Count = count,
            WillAbort = abort,
            Checksum = ChecksumOf(producer, txn, index, count, abort),
        };
    }

    /// <summary>The <see cref="CrashEvent.ChecksumOf"/> mix chained over every field; never 0.</summary>
    /// <param name="producer">The producer number.</param>
    /// <param name="txn">The transaction sequence number.</param>
    /// <param name="index">The index.</param>
    /// <param name="count">The count.</param>
    /// <param name="willAbort">The abort flag.</param>
    /// <returns>The checksum.</returns>
    public static long ChecksumOf(long producer, long txn, int index, int count, long willAbort)
    {
        long mix = CrashEvent.ChecksumOf(producer, txn);
        mix = CrashEvent.ChecksumOf(mix, ((long)index << 32) | (uint)count);
        return CrashEvent.ChecksumOf(mix, willAbort);
    }

    /// <inheritdoc/>
    public override readonly string ToString() =>
        $"producer {Producer} txn {Txn} index {Index}/{Count} will-abort {WillAbort} checksum {Checksum:X}";
}
