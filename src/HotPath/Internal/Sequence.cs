namespace HotPath.Internal;

/// <summary>
/// A heap-allocated padded sequence: the "next offset to read" of one reader of one partition, which the
/// partition's writer reads to know how far it may go (a gating sequence, as in the Disruptor).
/// </summary>
/// <remarks>
/// Design: exactly one reader thread at a time advances <see cref="_value"/> (the member that owns the
/// partition, or the thread that seeks); the writer and monitoring threads only read it. Values only grow,
/// except a seek back that stays within the retained window (see <c>Partition.Seek</c> rules).
/// </remarks>
internal sealed class Sequence
{
    private PaddedLong _value;

    /// <summary>Creates a sequence holding <paramref name="initial"/>.</summary>
    public Sequence(long initial) => _value.Value = initial;

    /// <summary>
    /// Acquire-read of the value. Pairs with <see cref="SetRelease"/>: whoever sees value v also sees that
    /// the reader finished with every slot below v, so the writer may reuse those slots.
    /// </summary>
    public long Read() => Volatile.Read(ref _value.Value);

    /// <summary>
    /// Release-write: every read of ring slots below <paramref name="value"/> happens before the writer can
    /// observe the new value (the reader's handler is done with them before the writer overwrites them).
    /// </summary>
    public void SetRelease(long value) => Volatile.Write(ref _value.Value, value);

    /// <summary>Plain read for the owning thread, which wrote the value itself.</summary>
    public long ReadOwned() => _value.Value;

    /// <summary>Raises the value to at least <paramref name="value"/> with a CAS loop; returns the value now held.</summary>
    public long RaiseTo(long value)
    {
        // Interlocked: several threads (a registering reader, a rebalance) may race to move it forward.
        long current = Volatile.Read(ref _value.Value);
        while (current < value)
        {
            long seen = Interlocked.CompareExchange(ref _value.Value, value, current);
            if (seen == current)
            {
                return value;
            }

            current = seen;
        }

        return current;
    }
}
