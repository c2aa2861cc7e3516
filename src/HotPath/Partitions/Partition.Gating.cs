using System.Diagnostics;
using HotPath.Internal;

namespace HotPath.Partitions;

/// <content>
/// Gating: the lossless readers' sequences (registration, removal, fencing, seek), the ring bound below which a reader of
/// a durable partition reads the journal, and the retained window's lower end.
/// </content>
public sealed partial class Partition<T>
{
    /// <summary>
    /// Registers a lossless reader's gating sequence that starts at the position given by
    /// <paramref name="reset"/>, or at <paramref name="offset"/> when it is not null.
    /// </summary>
    internal Sequence AddGatingSequence(OffsetReset reset, long? offset) => AddGatingSequence(reset, offset, out _);

    /// <summary>
    /// Registers a lossless reader's gating sequence (see the overload); <paramref name="ringFrom"/> is the lowest offset
    /// the reader may read from the ring. A durable partition retains its journal too: a reader may start as low as the
    /// journal's start, and reads the offsets below <paramref name="ringFrom"/> from the journal (its sequence keeps the
    /// writers from reusing the slots at and above <paramref name="ringFrom"/> until it passed them).
    /// </summary>
    internal Sequence AddGatingSequence(OffsetReset reset, long? offset, out long ringFrom)
    {
        lock (_registrationLock)
        {
            Sequence[] before = _gating;
            // Provisional value: the low watermark before registering, which is at most where the reader will start
            // (the watermark only rises while we hold the lock). A writer that sees it cannot pass what is already
            // protected, so a running writer is not stopped by the registration; an ungated one waits only until the
            // sequence is raised below.
            var sequence = new Sequence(RetainedStartLocked(before));
            Sequence[] after = [.. before, sequence];
            Volatile.Write(ref _gating, after);
            // Full fence: the new array is visible before we read the writers' positions below (pairs with the
            // fence after a single writer's announce and with a multi-writer's CAS claim).
            Interlocked.MemoryBarrier();

            long low = RetainedStartLocked(before);
            ringFrom = RingBoundLocked(before);
            sequence.RingFrom = ringFrom;
            long end = EndOffset;
            long start = reset == OffsetReset.Latest ? end : low;
            if (offset is long requested)
            {
                if (requested < low || requested > end)
                {
                    Volatile.Write(ref _gating, before);
                    ThrowHelper.ArgumentOutOfRange(
                        nameof(offset), $"must be within the retained window [{low}, {end}] of partition {Id} of '{TopicName}'", requested);
                }

                start = requested;
            }

            sequence.RaiseTo(start);
            AssertInvariants();
            NotifyReaderProgress();
            return sequence;
        }
    }

    /// <summary>Unregisters a gating sequence; the writer no longer waits for it.</summary>
    internal void RemoveGatingSequence(Sequence sequence)
    {
        lock (_registrationLock)
        {
            Sequence[] before = _gating;
            int index = Array.IndexOf(before, sequence);
            if (index < 0)
            {
                return;
            }

            var after = new Sequence[before.Length - 1];
            before.AsSpan(0, index).CopyTo(after);
            before.AsSpan(index + 1).CopyTo(after.AsSpan(index));
            // A writer's cache may still hold a minimum up to this reader's position: nothing below it is
            // safe for a later registration while the partition is ungated.
            _retentionFloor = Math.Max(_retentionFloor, sequence.Read());
            Volatile.Write(ref _gating, after);
        }

        NotifyReaderProgress();
    }

    /// <summary>
    /// Seals <paramref name="old"/> and swaps it for a new gating sequence at old's last committed value: the fence for
    /// a member declared failed. Sealing and the commit CAS are ordered on old's one memory location (see
    /// <see cref="Sequence"/>): every commit of the fenced member either happened before the seal, and the replacement
    /// starts after it, or fails. A writer that loaded the gating array before the swap may still read old: it sees
    /// a value not above the replacement's (before the seal) or <see cref="Sequence.Sealed"/> (after), so it never
    /// reuses a slot the partition's next owner still needs.
    /// </summary>
    internal Sequence ReplaceGatingSequence(Sequence old)
    {
        Sequence replacement;
        lock (_registrationLock)
        {
            Sequence[] before = _gating;
            int index = Array.IndexOf(before, old);
            // Full fence (exchange): the last committed value; from here on old can no longer move.
            replacement = new Sequence(old.Seal()) { RingFrom = old.RingFrom };
            if (index < 0)
            {
                // old was unregistered (its reader closed): the replacement must not gate the writers either.
                return replacement;
            }

            Sequence[] after = (Sequence[])before.Clone();
            after[index] = replacement;
            // Release: the replacement's initial value is visible to a writer that reads the new array.
            Volatile.Write(ref _gating, after);
        }

        // A writer that parked after reading the sealed value (far below every offset) waits for a reader's progress; the
        // replacement may have nothing to read, hence no commit to wake it: wake it here, so it re-reads the new array
        // (the same wake a commit gives, see NotifyReaderProgress).
        NotifyReaderProgress();
        return replacement;
    }

    /// <summary>
    /// Moves a registered reader's sequence to <paramref name="offset"/>, which must lie within the retained
    /// window: not below the slowest lossless reader (the writer may have reused older slots) or, durable, the journal's
    /// start, not past the end. A sequence that was replaced (its reader fenced) is refused: sealing and replacing happen
    /// under the same lock. Returns the ring bound (see <see cref="RingBoundLocked"/>): below it, read the journal.
    /// </summary>
    internal long SeekGatingSequence(Sequence sequence, long offset)
    {
        long ringFrom;
        lock (_registrationLock)
        {
            Sequence[] gating = _gating;
            if (Array.IndexOf(gating, sequence) < 0)
            {
                ThrowHelper.InvalidOperation($"the reader of partition {Id} of '{TopicName}' was fenced or closed: its seek to {offset} was refused");
            }

            long low = MinGating(gating, long.MaxValue);
            if (Journal is { } journal)
            {
                // A durable partition keeps its journal: a seek may go down to the journal's start.
                low = Math.Min(low, journal.Start);
            }

            long end = EndOffset;
            if (offset < low || offset > end)
            {
                ThrowHelper.ArgumentOutOfRange(
                    nameof(offset), $"must be within the retained window [{low}, {end}] of partition {Id} of '{TopicName}'", offset);
            }

            // CAS (full fence, so a release): cannot fail, the sequence is registered hence not sealed (both under the lock).
            // The gating set before the seek (this sequence at what it held before) bounds what stale writers overwrite.
            long held = Holds(sequence);
            bool set = sequence.TrySet(offset);
            Debug.Assert(set, "a registered sequence is never sealed");
            ringFrom = RingBoundLocked(gating, sequence, held);
            sequence.RingFrom = ringFrom;
        }

        NotifyReaderProgress();
        return ringFrom;
    }

    /// <summary>
    /// After a reader's sequence was lowered (registered or sought) and a full fence: the lowest offset from which the
    /// ring is intact and stays so while the reader holds its sequence. Below it a durable partition's reader reads the
    /// journal, which holds all of it. Caller holds the lock. The bound is the highest of:
    /// <list type="bullet">
    /// <item><see cref="RingStart"/>: the slots of older offsets were never written by this process;</item>
    /// <item><c>reach + 1 - capacity</c> (reach read now, acquire, after the caller's fence): older offsets may have
    /// been overwritten already; a claim the read misses was gated by a sequence set that includes the lowered one (so
    /// it waits) or by a stale cache, whose minimum is at most the next bound;</item>
    /// <item>the lowest of what the readers of <paramref name="others"/> hold on to (before the change; see
    /// <see cref="Holds"/>): a writer working from a stale gating cache overwrites only offsets below it. Not their lowest
    /// sequence: a reader still catching up from the journal holds its sequence far below the ring it will read, and a
    /// writer whose cache was computed before that reader registered is bounded by the readers before it only, that is
    /// by that reader's own ring bound. (With <paramref name="self"/>, a sought reader, counted at
    /// <paramref name="selfHeld"/>, what it held before the seek: a writer's cache may come from that.)</item>
    /// </list>
    /// Everything below the bound is journaled: below what the journaller holds (its sequence: it starts at the end),
    /// below another reader's ring bound (journaled when it got it), below the writers' reach - capacity + 1 (the
    /// writers passed the journaller's gate), or from before this process.
    /// </summary>
    /// <remarks>
    /// Why a stale cache is bounded by the readers' holds: a writer's cache is the lowest sequence of one gating array,
    /// read before any registration that array lacks published its own (the re-read in WaitForCapacity). By induction
    /// over registrations, each reader's ring bound is at least every cache computed without it; a reader in the array
    /// holds at least the value it had then (sequences only rise, and a seek keeps what it held as its bound).
    /// </remarks>
    private long RingBoundLocked(Sequence[] others, Sequence? self = null, long selfHeld = 0)
    {
        long overwritten = WriterReach() + 1 - _capacity;
        long held = long.MaxValue;
        foreach (Sequence other in others)
        {
            held = Math.Min(held, ReferenceEquals(other, self) ? selfHeld : Holds(other));
        }

        return Math.Max(Math.Max(RingStart, overwritten), others.Length == 0 ? long.MinValue : held);
    }

    /// <summary>
    /// The lowest offset whose ring slot the reader of <paramref name="sequence"/> still holds on to: its sequence, or
    /// the ring bound it got when it registered or sought (it reads the journal below that bound, its sequence far below
    /// the ring meanwhile), whichever is higher. Caller holds the lock.
    /// </summary>
    private static long Holds(Sequence sequence) => Math.Max(sequence.Read(), sequence.RingFrom);

    /// <summary>
    /// The lowest offset a reader may register at, given the other gating sequences: the ring's low watermark, or for a
    /// durable partition its journal's start (never above the watermark: retention deletes only below every gating
    /// sequence, under this lock). Caller holds the lock.
    /// </summary>
    private long RetainedStartLocked(Sequence[] gating)
    {
        long low = LowWatermarkLocked(gating);
        return Journal is { } journal ? Math.Min(low, journal.Start) : low;
    }

    /// <summary>The retained window's lower end in the ring, given the other gating sequences. Caller holds the lock.</summary>
    private long LowWatermarkLocked(Sequence[] gating)
    {
        if (gating.Length != 0)
        {
            return MinGating(gating, long.MaxValue);
        }

        // Ungated: the writer may reach up to what it announced (single writer) or claimed (multi-writer),
        // so slots of offsets up to that - capacity may be reused. Acquire reads, after the caller's fence.
        long reach = _multiWriter ? Volatile.Read(ref _cursor.Value) : Volatile.Read(ref _claimAnnounce.Value);
        reach = Math.Max(reach, EndOffset - 1);
        return Math.Max(Math.Max(0, reach + 1 - _capacity), _retentionFloor);
    }

    /// <summary>
    /// The lowest offset whose gap a reader may still need; gaps below it may be forgotten. Caller holds the
    /// registration lock. It is the lower of:
    /// <list type="bullet">
    /// <item>the lowest gating sequence: a lossless reader reads from its committed offset on, and (under the lock)
    /// a reader registering later starts at or above the low watermark, which is this minimum when there are gating
    /// readers and otherwise at least the ring bound below, read from a cursor no older than ours (the retention
    /// floor only raises that start, so it cannot lower the bound);</item>
    /// <item>the oldest offset still in the ring, <c>cursor - capacity + 1</c>: a lossy reader may be anywhere
    /// from there on. Below it, offset <c>y</c> has had <c>y + capacity</c> claimed (cursor read here, acquire). A lossy
    /// reader reads its gap view after acquiring the slot's availability and before the full fence that precedes its
    /// reach check (ReadCursor.DispatchLossy): if its view misses <c>y</c> because we pruned it, our prune
    /// happened before its view (gap log lock), our cursor read before our prune, so its later reach read returns at
    /// least <c>y + capacity</c> (coherence; the cursor never decreases) and it discards its copy of <c>y</c> as lost.</item>
    /// </list>
    /// </summary>
    private long GapPruneBoundLocked()
    {
        // Acquire: pairs with the claims' CAS (see above for why a later value is still safe). The gating array is
        // written under the lock we hold; the acquire read is for form.
        long oldestInRing = Volatile.Read(ref _cursor.Value) - _capacity + 1;
        return Math.Min(MinGating(Volatile.Read(ref _gating), long.MaxValue), oldestInRing);
    }

    /// <summary>The lowest gating sequence (for lag and retention views).</summary>
    internal long MinGatingSequence() => MinGating(Volatile.Read(ref _gating), EndOffset);
}
