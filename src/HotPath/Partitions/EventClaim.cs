using System.Runtime.CompilerServices;

namespace HotPath.Partitions;

/// <summary>
/// A claimed slot of a partition, to fill in place and then publish. Use it in a <c>using</c> statement:
/// <code>
/// using (var claim = partition.Claim())
/// {
///     claim.Event.Price = price;   // written straight into the ring slot
///     claim.Publish();
/// }
/// </code>
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// Disposing a claim that was not published abandons it — the answer to the half-written event: an exception
/// while filling never publishes garbage and never leaves a hole that blocks readers. In single-writer mode
/// the offset is given back (the next claim reuses it; nothing was visible). In multi-writer mode other writers
/// may already hold later offsets, so the slot is reset to <c>default(T)</c> and published as a gap that every
/// reader skips, like an offset Kafka spends on a transaction marker; the offsets of the partition then have
/// a hole, which <c>StartOffset</c>/<c>EndOffset</c> arithmetic (lag) counts as one event.
/// A claim is a struct, and copies of it (for example <c>using (claim)</c> on a variable filled by <c>TryClaim</c>) act on
/// one claim: whether it is still open is the partition's state (and, in single-writer mode, the claim's ticket), so a
/// copy disposed after another copy published or abandoned it does nothing, also once its offsets were claimed again,
/// and a second publish through any copy throws. Writing through a copy's <see cref="Event"/> after its claim ended is
/// not checked (the slot may belong to a later claim): do not. (Disposing a copy that did not publish itself asks the
/// partition through an out-of-line call, a few nanoseconds; the claim that published skips it.)
/// Thread-safety: use a claim on the thread that made it.
/// </remarks>
public ref struct EventClaim<T>
    where T : struct
{
    private const long Done = -1;

    private readonly Partition<T>? _partition;
    private readonly ref T _slot;
    // The claim's ticket (see Partition.IsClaimOpen), or Done once this copy published or disposed it. One field for
    // both: in a using statement every field the claim changes is written through to the stack for the finally, and a
    // flag of its own cost one store more per claim.
    private long _ticket;

    internal EventClaim(Partition<T> partition, long offset, long ticket, ref T slot)
    {
        _partition = partition;
        Offset = offset;
        _ticket = ticket;
        _slot = ref slot;
    }

    /// <summary>The slot to fill. It still holds whatever event last used it: overwrite every field.</summary>
    public readonly ref T Event => ref _slot;

    /// <summary>The offset the event gets.</summary>
    public readonly long Offset { get; }

    /// <summary>The partition number.</summary>
    public readonly int Partition => _partition?.Id ?? -1;

    /// <summary>Publishes the event; readers may see it from now on. At most once.</summary>
    public void Publish()
    {
        if (_ticket == Done || _partition is null || !_partition.IsClaimOpen(Offset, _ticket))
        {
            Internal.ThrowHelper.InvalidOperation("this claim was already published or abandoned");
        }

        _ticket = Done;
        _partition.PublishCore(Offset, Offset);
    }

    /// <summary>Abandons the claim if it was not published (see the type's remarks).</summary>
    public void Dispose()
    {
        // One compare inline, the rest out of line and given the fields (not the claim: its address would keep all of
        // it, the slot reference too, on the stack): a finally this small is cloned onto the normal path, where the
        // JIT knows the ticket is Done after Publish and drops it; a larger one stays a funclet called on every claim
        // (without a profile, as under NativeAOT, the claim loop then also kept its own locals on the stack).
        if (_ticket != Done)
        {
            long ticket = _ticket;
            _ticket = Done;
            AbandonIfOpen(_partition, Offset, ticket);
        }
    }

    // The partition's state decides, not the copy's ticket alone: a copy disposed after another copy published (or
    // abandoned) the claim does nothing.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AbandonIfOpen(Partition<T>? partition, long offset, long ticket)
    {
        if (partition is not null && partition.IsClaimOpen(offset, ticket))
        {
            partition.AbandonCore(offset, offset);
        }
    }
}
