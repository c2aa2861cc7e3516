using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Internal;
using HotPath.Partitions;
using HotPath.Topics;

namespace HotPath.Transactions;

/// <content>Publishing inside a transaction: by key, by partition, batches and in-place claims.</content>
public sealed partial class TransactionalPublisher
{
    private static readonly TimeSpan SpanRecheck = TimeSpan.FromMilliseconds(1);

    /// <summary>Publishes <paramref name="event"/> in the open transaction to the partition its key picks.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="key">The key; the topic's partitioner picks the partition.</param>
    /// <param name="event">The event; copied once into its slot.</param>
    /// <returns>The partition and offset.</returns>
    /// <exception cref="TransactionException">No transaction is open, or the transaction would span more offsets of the
    /// partition than its ring holds (see <see cref="PublishTo{T}"/>).</exception>
    /// <exception cref="TransactionAbortedException">The coordinator aborted the transaction.</exception>
    /// <exception cref="ProducerFencedException">The publisher was fenced.</exception>
    public PublishResult Publish<T>(Topic<T> topic, string key, in T @event)
        where T : struct
    {
        CheckTopic(topic);
        return PublishTo(topic, topic.PartitionFor(key), in @event);
    }

    /// <summary>Publishes <paramref name="event"/> in the open transaction to the partition its key picks.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="key">The key bytes.</param>
    /// <param name="event">The event.</param>
    /// <returns>The partition and offset.</returns>
    public PublishResult Publish<T>(Topic<T> topic, ReadOnlySpan<byte> key, in T @event)
        where T : struct
    {
        CheckTopic(topic);
        return PublishTo(topic, topic.PartitionFor(key), in @event);
    }

    /// <summary>Publishes <paramref name="event"/> in the open transaction to the partition its key picks.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="key">The key.</param>
    /// <param name="event">The event.</param>
    /// <returns>The partition and offset.</returns>
    public PublishResult Publish<T>(Topic<T> topic, long key, in T @event)
        where T : struct
    {
        CheckTopic(topic);
        return PublishTo(topic, topic.PartitionFor(key), in @event);
    }

    /// <summary>
    /// Publishes <paramref name="event"/> in the open transaction to <paramref name="partition"/>. Read-uncommitted readers
    /// see it at once; read-committed readers once the transaction commits, never if it aborts.
    /// </summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then.</param>
    /// <returns>The partition and offset.</returns>
    /// <exception cref="TransactionException">
    /// No transaction is open; or the transaction would span more than the ring's capacity of offsets on the partition,
    /// counted from its first event there (other writers' events in between count too). A read-committed reader cannot
    /// pass that first offset before the transaction ends, so the writer could never get room: instead of waiting forever,
    /// the publish throws and publishes nothing; the transaction stays open (commit what it has, or abort).
    /// </exception>
    public PublishResult PublishTo<T>(Topic<T> topic, int partition, in T @event, CancellationToken cancellationToken = default)
        where T : struct
    {
        CheckTopic(topic);
        Partition<T> target = topic[partition];
        // Acquire, as in WritesFor.
        long word = Volatile.Read(ref _stateWord);
        long offset = TryClaimNext(target, word);
        if (offset < 0)
        {
            return PublishToSlow(target, partition, in @event, cancellationToken);
        }

        target.SlotRef(offset) = @event;
        PublishIn(target, _lastWrites!, offset, offset, word);
        return new PublishResult(partition, offset);
    }

    /// <summary><see cref="PublishTo{T}"/> off its hot path (see <see cref="TryClaimNext{T}"/>): the general claim, which may wait or throw.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private PublishResult PublishToSlow<T>(Partition<T> target, int partition, in T @event, CancellationToken cancellationToken)
        where T : struct
    {
        TransactionWrites writes = WritesFor(target, out long word);
        long offset = ClaimIn(target, writes, 1, cancellationToken);
        target.SlotRef(offset) = @event;
        PublishIn(target, writes, offset, offset, word);
        return new PublishResult(partition, offset);
    }

    /// <summary>Publishes a batch of events to consecutive offsets of <paramref name="partition"/> in the open transaction.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="events">1 to the capacity of events.</param>
    /// <param name="cancellationToken">Cancels the wait for free slots.</param>
    /// <returns>The partition and the offset of the first event.</returns>
    public PublishResult PublishBatch<T>(Topic<T> topic, int partition, ReadOnlySpan<T> events, CancellationToken cancellationToken = default)
        where T : struct
    {
        CheckTopic(topic);
        Partition<T> target = topic[partition];
        TransactionWrites writes = WritesFor(target, out long word);
        long first = ClaimIn(target, writes, events.Length, cancellationToken);
        target.CopyInClaimed(events, first);
        PublishIn(target, writes, first, first + events.Length - 1, word);
        return new PublishResult(partition, first);
    }

    /// <summary>Claims the next slot of <paramref name="partition"/> in the open transaction, to fill in place.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition number (<c>topic.PartitionFor(key)</c> for a key).</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot.</param>
    /// <returns>The claim: fill it, publish it; disposing it unpublished abandons it (see <see cref="EventClaim{T}"/>).</returns>
    public TransactionalClaim<T> Claim<T>(Topic<T> topic, int partition, CancellationToken cancellationToken = default)
        where T : struct
    {
        CheckTopic(topic);
        Partition<T> target = topic[partition];
        // Acquire, as in WritesFor.
        long word = Volatile.Read(ref _stateWord);
        long offset = TryClaimNext(target, word);
        if (offset < 0)
        {
            return ClaimSlow(target, cancellationToken);
        }

        return new TransactionalClaim<T>(this, _lastWrites!, target, offset, target.CurrentClaimTicket(), word);
    }

    /// <summary><see cref="Claim{T}"/> off its hot path (see <see cref="TryClaimNext{T}"/>): the general claim, which may wait or throw.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TransactionalClaim<T> ClaimSlow<T>(Partition<T> target, CancellationToken cancellationToken)
        where T : struct
    {
        TransactionWrites writes = WritesFor(target, out long word);
        long offset = ClaimIn(target, writes, 1, cancellationToken);
        return new TransactionalClaim<T>(this, writes, target, offset, target.CurrentClaimTicket(), word);
    }

    /// <summary>Claims <paramref name="count"/> consecutive slots of <paramref name="partition"/> in the open transaction.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="count">1 to the capacity.</param>
    /// <param name="cancellationToken">Cancels the wait for free slots.</param>
    /// <returns>The batch claim.</returns>
    public TransactionalBatchClaim<T> ClaimBatch<T>(Topic<T> topic, int partition, int count, CancellationToken cancellationToken = default)
        where T : struct
    {
        CheckTopic(topic);
        Partition<T> target = topic[partition];
        TransactionWrites writes = WritesFor(target, out long word);
        long first = ClaimIn(target, writes, count, cancellationToken);
        return new TransactionalBatchClaim<T>(this, writes, target, first, count, target.CurrentClaimTicket(), word);
    }

    /// <summary>
    /// The hot path of a 1-event claim (<see cref="PublishTo{T}"/>, <see cref="Claim{T}"/>) in the transaction
    /// <paramref name="word"/> names (the state word the caller just read): the offset claimed when that transaction is
    /// open, its entry on <paramref name="partition"/> is open (the last partition used, whose writes are
    /// <see cref="_lastWrites"/>), the partition has a single writer and its next offset is free without waiting and
    /// inside the transaction's span. Otherwise -1, and nothing was claimed: the caller's slow path does the general claim.
    /// </summary>
    /// <remarks>Returns the offset alone (no out parameters): locals passed by reference would live on the stack of the
    /// caller's publish loop. The owner's own transitions cannot happen before <see cref="PublishIn{T}"/> reads the state
    /// again; a coordinator's abort is seen there (or the coordinator sees the record).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long TryClaimNext<T>(Partition<T> partition, long word)
        where T : struct
    {
        TransactionWrites? writes = _lastWrites;
        return (word & StateMask) == OpenState && ReferenceEquals(partition, _lastPartition) && writes!.InTransaction
            ? partition.TryClaimOneBelow(writes.SpanEnd)
            : -1;
    }

    /// <summary>
    /// Publishes the claimed [first, last] in the transaction <paramref name="word"/> names (the state word it was claimed
    /// under): records the range as the transaction's, checks the state (the asymmetric Dekker's fast side: see the
    /// type's remarks), then publishes. A claim of a transaction that has ended is abandoned (nothing of it becomes
    /// visible) and the call throws; after a coordinator's abort that raced the record, the range is marked aborted
    /// first, then published, and the call throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void PublishIn<T>(Partition<T> partition, TransactionWrites writes, long first, long last, long word)
        where T : struct
    {
        // Owner-only transitions (a later Begin, our own commit or abort) are exact here; a coordinator's abort before
        // this read is seen too.
        if (Volatile.Read(ref _stateWord) != word)
        {
            AbandonAfterEnd(partition, first, last);
        }

        writes.Record(first, last);
        // Plain program order after the record: a coordinator that aborts after this read returned Open sees the record
        // (its process-wide barrier); one that aborted before makes us see it here.
        if (Volatile.Read(ref _stateWord) != word)
        {
            PublishAborted(partition, first, last);
        }

        partition.PublishCore(first, last);
    }

    /// <summary>The partition's writes of this transaction, listed in it; throws when no transaction is open.</summary>
    private TransactionWrites WritesFor(ITransactionalPartition partition, out long word)
    {
        // Acquire: a coordinator's abort is seen here at the latest on the next call.
        word = Volatile.Read(ref _stateWord);
        if ((word & StateMask) != OpenState)
        {
            ThrowForState("publish");
        }

        // Owner-only cache: consecutive publishes to one partition skip the lookup.
        TransactionWrites? last = _lastWrites;
        if (ReferenceEquals(partition, _lastPartition) && last!.InTransaction)
        {
            return last;
        }

        return WritesForSlow(partition);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TransactionWrites WritesForSlow(ITransactionalPartition partition)
    {
        if (!_writes.TryGetValue(partition, out TransactionWrites? writes))
        {
            writes = new TransactionWrites(partition);
            _writes.Add(partition, writes);
        }

        if (!writes.InTransaction)
        {
            int count = _touchedCount;
            TransactionWrites[] touched = _touched;
            if (count == touched.Length)
            {
                Array.Resize(ref touched, count * 2);
                // Release: a cleanup that reads the new array sees what was copied into it.
                Volatile.Write(ref _touched, touched);
            }

            touched[count] = writes;
            // Release: the entry is written before a cleanup counts it.
            Volatile.Write(ref _touchedCount, count + 1);
            writes.InTransaction = true;
        }

        _lastPartition = partition;
        _lastWrites = writes;
        return writes;
    }

    /// <summary>
    /// Claims <paramref name="count"/> offsets for the transaction: the first claim on a partition opens the transaction's
    /// entry there (its last stable offset stops at it); later ones stay within one ring of that first offset.
    /// </summary>
    private long ClaimIn<T>(Partition<T> partition, TransactionWrites writes, int count, CancellationToken cancellationToken)
        where T : struct
    {
        long first;
        if (writes.First < 0)
        {
            first = partition.ClaimForTransaction(count, Deadline.Never, cancellationToken);
            writes.Open(this, first, partition.Capacity);
            // Plain program order after the entry was opened (see PublishIn): either a coordinator's abort sees the entry
            // and closes it, or we see the abort here and undo the claim.
            if ((Volatile.Read(ref _stateWord) & StateMask) != OpenState)
            {
                partition.AbandonCore(first, first + count - 1);
                PublishAborted(partition, 0, -1);
            }

            return first;
        }

        if (!partition.IsMultiWriter)
        {
            // The only writer: the claim gets the next offset whenever it gets room, so the span checked now is the span
            // it claims, and it may wait for room as long as it takes (no self-deadlock: the span fits the ring).
            if (partition.ClaimedReach() + count - writes.First >= partition.Capacity)
            {
                ThrowSpan(partition, writes, count, partition.ClaimedReach());
            }

            return partition.ClaimForTransaction(count, Deadline.Never, cancellationToken);
        }

        if (partition.ClaimedReach() + count - writes.First >= partition.Capacity
            || (first = partition.ClaimForTransaction(count, 0, cancellationToken)) < 0)
        {
            // Other writers may push the claim past the span while it waits: wait in slices, re-checking.
            first = ClaimWithinSpan(partition, writes, count, cancellationToken);
        }

        if (first + count - writes.First > partition.Capacity)
        {
            // Multi-writer: other writers claimed meanwhile and pushed this claim past the span. Give it up (a gap).
            partition.AbandonCore(first, first + count - 1);
            ThrowSpan(partition, writes, count, first - 1);
        }

        return first;
    }

    /// <summary>The ring is full (or the span check failed): waits in short slices, re-checking the span each time.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ClaimWithinSpan<T>(Partition<T> partition, TransactionWrites writes, int count, CancellationToken cancellationToken)
        where T : struct
    {
        while (true)
        {
            long reach = partition.ClaimedReach();
            if (reach + count - writes.First >= partition.Capacity)
            {
                ThrowSpan(partition, writes, count, reach);
            }

            long first = partition.ClaimForTransaction(count, Deadline.From(SpanRecheck), cancellationToken);
            if (first >= 0)
            {
                return first;
            }

            ThrowUnlessOpen("publish");
        }
    }

    /// <summary>
    /// The claim [first, last] belongs to a transaction that ended before its publish (committed, aborted, or ended by the
    /// coordinator) or to no open one: it was never recorded, so it is abandoned (a gap, or given back) and the call throws.
    /// </summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AbandonAfterEnd<T>(Partition<T> partition, long first, long last)
        where T : struct
    {
        partition.AbandonCore(first, last);
        if (State == TransactionState.Open)
        {
            Throw("cannot publish a claim of a transaction that has ended: it was abandoned (nothing of it is visible); claim again in the open transaction");
        }

        ThrowForState("publish a claim of its transaction");
    }

    /// <summary>
    /// The coordinator aborted the transaction while this publish was under way: marks what was recorded (the range
    /// [first, last] included) aborted, publishes the range (readers must pass it; read-committed ones skip it), throws.
    /// </summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PublishAborted<T>(Partition<T> partition, long first, long last)
        where T : struct
    {
        lock (_completion)
        {
            CleanUpLocked(aborted: true);
        }

        if (last >= first)
        {
            partition.PublishCore(first, last);
        }

        ThrowForState("publish");
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowSpan(ITransactionalPartition partition, TransactionWrites writes, int count, long reach) =>
        Throw(
            $"publishing {count} event(s) to partition {partition.Id} of '{partition.TopicName}' would make the transaction span offsets {writes.First} to {reach + count}, more than the ring's capacity: a read-committed reader cannot pass offset {writes.First} before the transaction ends, so the ring could never make room. Nothing was published and the transaction stays open: commit it more often, or raise the topic's capacity");

    private static void CheckTopic<T>(Topic<T> topic)
        where T : struct
    {
        if (topic is null)
        {
            ThrowHelper.ArgumentNull(nameof(topic));
        }
    }
}
