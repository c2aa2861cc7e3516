using HotPath.Partitions;

namespace HotPath.Transactions;

/// <summary>
/// <see cref="Count"/> consecutive slots claimed inside a transaction (<see cref="TransactionalPublisher.ClaimBatch{T}"/>),
/// to fill in place and publish with one release. Disposing it unpublished abandons every slot.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread-safety: use a claim on the thread that made it.</remarks>
public ref struct TransactionalBatchClaim<T>
    where T : struct
{
    private readonly TransactionalPublisher? _publisher;
    private readonly TransactionWrites? _writes;
    private readonly Partition<T>? _partition;
    private readonly long _ticket;
    private readonly long _word;
    private readonly SlotRun<T> _slots;
    private bool _done;

    internal TransactionalBatchClaim(TransactionalPublisher publisher, TransactionWrites writes, Partition<T> partition, long firstOffset, int count, long ticket, long word)
    {
        _word = word;
        _publisher = publisher;
        _writes = writes;
        _partition = partition;
        FirstOffset = firstOffset;
        Count = count;
        _ticket = ticket;
        _slots = partition.SlotsOf(firstOffset, count);
    }

    /// <summary>The offset of the first claimed slot; the others follow.</summary>
    public readonly long FirstOffset { get; }

    /// <summary>The number of claimed slots.</summary>
    public readonly int Count { get; }

    /// <summary>The partition number.</summary>
    public readonly int Partition => _partition?.Id ?? -1;

    /// <summary>The slot of the <paramref name="index"/>-th event of the batch (0 to <see cref="Count"/> - 1).</summary>
    /// <param name="index">The position in the batch.</param>
    public readonly ref T this[int index] => ref _slots[index];

    /// <summary>
    /// The batch's slots from its first up to the ring's end, in offset order. <see cref="SecondSpan"/> holds the rest.
    /// </summary>
    public readonly Span<T> FirstSpan => _slots.Head;

    /// <summary>
    /// The batch's remaining slots, from the ring's start, in offset order: empty unless the batch wraps around the
    /// ring. <c>FirstSpan.Length + SecondSpan.Length == Count</c>.
    /// </summary>
    public readonly Span<T> SecondSpan => _slots.Tail;

    /// <summary>Publishes all slots of the batch in the transaction. At most once.</summary>
    public void Publish()
    {
        long last = FirstOffset + Count - 1;
        if (_done || _partition is null || !_partition.IsClaimOpen(FirstOffset, _ticket))
        {
            Internal.ThrowHelper.InvalidOperation("this claim was already published or abandoned");
        }

        _done = true;
        _publisher!.PublishIn(_partition, _writes!, FirstOffset, last, _word);
    }

    /// <summary>Abandons every slot if the batch was not published.</summary>
    public void Dispose()
    {
        if (!_done && _partition is not null && _partition.IsClaimOpen(FirstOffset, _ticket))
        {
            _done = true;
            _partition.AbandonCore(FirstOffset, FirstOffset + Count - 1);
        }
    }
}
