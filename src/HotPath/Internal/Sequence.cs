namespace HotPath.Internal;

/// <summary>
/// A heap-allocated padded sequence: the "next offset to read" of one reader of one partition, which the
/// partition's writer reads to know how far it may go (a gating sequence, as in the Disruptor).
/// </summary>
/// <remarks>
/// <para>Design: exactly one reader thread at a time advances <see cref="_value"/> (the member that owns the
/// partition, or the thread that seeks); the writer and monitoring threads only read it. Values only grow,
/// except a seek back that stays within the retained window (see <c>Partition.Seek</c> rules).</para>
/// <para><b>Sealing</b> (the fence for a group member declared failed): <see cref="Seal"/> swaps the value for
/// <see cref="Sealed"/> in one atomic step and returns the last value committed. Commits and seeks are CASes from a
/// value that is not <see cref="Sealed"/> (<see cref="TryAdvance"/>, <see cref="TrySet"/>), so on the one memory
/// location every commit is ordered either before the seal (its value is what the seal returns) or after it (it
/// fails): a fenced reader can never move the value again. A writer that still reads a sealed sequence (it loaded the
/// gating array before the fence replaced this sequence in it) sees a value below every offset: the ring looks full
/// and it re-reads the array. Both the CAS and the exchange are full fences on x64 (<c>lock cmpxchg</c>/<c>xchg</c>)
/// and on ARM64 (.NET emits <c>casal</c>/<c>swpal</c>, or an exclusive pair followed by <c>dmb ish</c>), so a
/// commit also keeps the release order that <see cref="SetRelease"/> gives: the handler's slot reads happen before
/// the writer can see the new value.</para>
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

    /// <summary>
    /// The ring bound the reader got when it registered or last sought (<c>Partition.RingBoundLocked</c>): a reader of a
    /// durable partition reads the journal below it, its value far below the ring slots it holds on to meanwhile.
    /// <see cref="long.MinValue"/> when none. Written and read under the partition's registration lock only.
    /// </summary>
    public long RingFrom { get; set; } = long.MinValue;

    /// <summary>Plain read for the owning thread, which wrote the value itself.</summary>
    public long ReadOwned() => _value.Value;

    /// <summary>
    /// The value of a sealed sequence: far below every offset (a writer that reads it treats the ring as full) and never
    /// a value a commit may start from.
    /// </summary>
    public const long Sealed = long.MinValue / 4;

    /// <summary>
    /// The owner's commit: moves the value from <paramref name="expected"/> (the value the owner holds) to
    /// <paramref name="value"/>; false when the sequence was sealed (the owner was fenced) and nothing moved.
    /// </summary>
    public bool TryAdvance(long expected, long value) =>
        // Full fence (CAS): releases the handler's slot reads before the value (pairs with the writer's acquire Read),
        // and is ordered against Seal's exchange on this location: after a seal, the CAS finds Sealed and fails.
        expected != Sealed && Interlocked.CompareExchange(ref _value.Value, value, expected) == expected;

    /// <summary>A seek's write: sets the value unless the sequence is sealed; false when sealed.</summary>
    public bool TrySet(long value)
    {
        // Acquire, then CAS (full fence) from the value seen: a concurrent seal makes the CAS fail and the loop stop.
        long current = Volatile.Read(ref _value.Value);
        while (current != Sealed)
        {
            long seen = Interlocked.CompareExchange(ref _value.Value, value, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>
    /// Seals the sequence (see the type's remarks) and returns the last value committed before it: the value a
    /// replacement starts from. Sealing twice returns <see cref="Sealed"/>.
    /// </summary>
    public long Seal() =>
        // Full fence (exchange): every commit CAS on this location is ordered before it (and counted in the value
        // returned) or after it (and fails).
        Interlocked.Exchange(ref _value.Value, Sealed);

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
