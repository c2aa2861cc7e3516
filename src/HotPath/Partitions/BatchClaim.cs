namespace HotPath.Partitions;

/// <summary>
/// <see cref="Count"/> consecutive claimed slots, to fill in place and publish with one release.
/// Use it in a <c>using</c> statement; disposing it unpublished abandons every slot (see <see cref="EventClaim{T}"/>).
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread-safety: use a claim on the thread that made it.</remarks>
public ref struct BatchClaim<T>
    where T : struct
{
    private readonly Partition<T>? _partition;
    private readonly long _ticket;
    private readonly SlotRun<T> _slots;
    private bool _done;

    internal BatchClaim(Partition<T> partition, long firstOffset, int count, long ticket)
    {
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
    /// The batch's slots from its first up to the ring's end, in offset order: filling a span is the fastest way to
    /// fill a batch. <see cref="SecondSpan"/> holds the rest.
    /// </summary>
    public readonly Span<T> FirstSpan => _slots.Head;

    /// <summary>
    /// The batch's remaining slots, from the ring's start, in offset order: empty unless the batch wraps around the
    /// ring. <c>FirstSpan.Length + SecondSpan.Length == Count</c>, and <c>claim[i]</c> is <c>FirstSpan[i]</c> below
    /// <c>FirstSpan.Length</c>, <c>SecondSpan[i - FirstSpan.Length]</c> from there.
    /// </summary>
    public readonly Span<T> SecondSpan => _slots.Tail;

    /// <summary>Publishes all slots of the batch at once. At most once.</summary>
    public void Publish()
    {
        if (_done || _partition is null || !_partition.IsClaimOpen(FirstOffset, _ticket))
        {
            Internal.ThrowHelper.InvalidOperation("this claim was already published or abandoned");
        }

        _done = true;
        _partition.PublishCore(FirstOffset, FirstOffset + Count - 1);
    }

    /// <summary>Abandons every slot if the batch was not published.</summary>
    public void Dispose()
    {
        // The partition's state decides, not this copy's flag alone: a copy disposed after another copy published
        // (or abandoned) the claim does nothing.
        if (!_done && _partition is not null && _partition.IsClaimOpen(FirstOffset, _ticket))
        {
            _done = true;
            _partition.AbandonCore(FirstOffset, FirstOffset + Count - 1);
        }
    }
}
