using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Internal;
using HotPath.Workers;

namespace HotPath.Partitions;

/// <content>Claiming: the single-writer and multi-writer claim protocols and the writers' waits.</content>
public sealed partial class Partition<T>
{
    /// <summary>
    /// Claims <paramref name="count"/> offsets and returns the first, or -1 when no room appeared before
    /// <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp; 0 = do not wait, MaxValue = forever).
    /// </summary>
    /// <remarks>
    /// Always inlined, as are <see cref="Publish(in T)"/> and <see cref="Claim"/> around it: without the attribute the
    /// JIT inlined it only where profile-guided optimisation saw it hot, so the publish path's speed depended on the
    /// profile (measured without one, as under NativeAOT or with TieredPGO off: 18-20 ns per event against 6-7 ns).
    /// Each inlined copy has its own <see cref="CurrentFrame"/>: a bias owner that claims from two call sites in turn
    /// takes the slow path at each switch (see the remarks of <c>Partition.Bias.cs</c>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long ClaimCore(int count, long deadline, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != StateOpen)
        {
            ThrowClosed();
        }

        if (_multiWriter)
        {
            // The bias owner's common case inline (no call, no frame of its own: the call and its spills cost as much as
            // the claim); everything else in ClaimMultiWriter. Both recognise the owner by this frame.
            nint frame = CurrentFrame();
            return TryClaimOwned(count, frame, out long first) ? first : ClaimMultiWriter(count, deadline, cancellationToken, frame);
        }

        // Single writer: _writerNext and _writerPublished are written by this thread only, so plain reads are exact.
        long next = _writerNext.Value;
        if (next != _writerPublished.Value + 1)
        {
            // A claim is open, or an abandoned claim gave offsets below the reach back: off the hot path.
            return ClaimGivenBack(count, deadline, cancellationToken);
        }

        long last = next + count - 1;
        // _gatingCached is writer-owned in single-writer mode: plain read.
        if (last - _capacity >= _gatingCached.Value && !WaitForCapacity(last, deadline, cancellationToken))
        {
            return -1;
        }

        AnnounceReach(last + 1);
        return next;
    }

    /// <summary>
    /// Single writer, after an abandoned claim: claims again from the first offset it gave back (<c>_writerResume</c>),
    /// below the announced reach, which does not move back (the abandoned fill may have written part of the slots, so
    /// lossy readers must go on treating their previous occupants as overwritten). Throws when a claim is open.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ClaimGivenBack(int count, long deadline, CancellationToken cancellationToken)
    {
        // Writer-owned, plain. NoResume when nothing was given back: then the claim that ends at the reach is open.
        long next = _writerResume;
        if (next != _writerPublished.Value + 1)
        {
            ThrowUnpublishedClaim();
        }

        long last = next + count - 1;
        if (last - _capacity >= _gatingCached.Value && !WaitForCapacity(last, deadline, cancellationToken))
        {
            return -1;
        }

        if (last + 1 >= _writerNext.Value)
        {
            // Caught up with the reach: announce what lies past it (if anything), and claim from the reach again.
            if (last + 1 > _writerNext.Value)
            {
                AnnounceReach(last + 1);
            }

            _writerResume = NoResume;
        }
        else
        {
            // Still below the reach, which covers these offsets already (announced before the abandoned fill; on ARM64
            // that announce's fence ordered it before any store to them): no announce. The next claim resumes here.
            _writerResume = last + 1;
        }

        return next;
    }

    /// <summary>
    /// Multi-writer claim: a CAS on the cursor, or while one thread owns the writer bias (see Partition.Bias.cs), that
    /// thread's plain store. A slot is handed to the claim of offset <c>o</c> only once its previous occupant
    /// <c>o - capacity</c> was published (or abandoned, which publishes a gap): gated, because a lossless reader passed
    /// it (readers pass published offsets only); ungated, because its availability entry says so.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ClaimMultiWriter(int count, long deadline, CancellationToken cancellationToken, nint frame)
    {
        while (true)
        {
            // The owner's section holds no wait: every wait below leaves it first, and the claim starts over.
            int entered = EnterOwnedClaim(deadline, cancellationToken, frame);
            if (entered == ClaimGaveUp)
            {
                return -1;
            }

            bool owned = entered == ClaimOwned;
            // Acquire: the latest claimed offset; the CAS below validates it (the owner's own value while it owns the bias).
            long current = Volatile.Read(ref _cursor.Value);
            long last = current + count;
            bool ungated = false;
            // Benign race: any writer may have refreshed the cache; a stale (low) value only costs a slow path. The
            // cache only ever holds a minimum of real gating sequences: every offset below it was published.
            if (last - _capacity >= Volatile.Read(ref _gatingCached.Value))
            {
                Sequence[] gating = Volatile.Read(ref _gating);
                ungated = gating.Length == 0;
                if (!ungated)
                {
                    LeaveOwnedClaim(owned);
                    if (!WaitForCapacity(last, deadline, cancellationToken))
                    {
                        return -1;
                    }

                    // Re-validate from the top: the readers may all have left while we waited.
                    continue;
                }

                if (!PreviousLapPublished(current, last))
                {
                    LeaveOwnedClaim(owned);
                    if (!WaitForPreviousLap(current, last, deadline, cancellationToken))
                    {
                        return -1;
                    }

                    continue;
                }
            }

            if (owned)
            {
                // Only this thread moves the cursor while it owns the bias: no CAS. Ordering as the CAS's, see StoreOwnedClaim.
                StoreOwnedClaim(last, ungated);
                LeaveOwnedClaim(owned);
            }

            // Otherwise the CAS. Full fence: the claim is visible to every thread before this writer touches the slots, and
            // this writer's later read of _gating cannot move before it (the ungated check below). The acquire reads
            // of the previous occupants' entries (PreviousLapPublished) come before it too: their writers' slot
            // stores happen before ours. Another claim of these offsets fails its CAS, and the claim of an offset one
            // lap later waits for our publication: from here to PublishCore this writer alone owns the slots. (x64:
            // lock cmpxchg; ARM64: casal, or an ldaxr/stlxr loop, followed by dmb ish: a full fence on both.)
            else if (Interlocked.CompareExchange(ref _cursor.Value, last, current) != current)
            {
                continue;
            }

            if (ungated && Volatile.Read(ref _gating).Length != 0)
            {
                // A reader registered while we claimed without gating: it saw our claim (registration reads
                // _cursor after a full fence) or we see it now. If it did not see it, its start may lie among our
                // slots' previous occupants (published: checked above), which it must read before we overwrite them:
                // wait for it. Bounded by the reader's progress only, not by another writer, nor by this call's deadline or
                // token: the claim is made and cannot be undone (the README says so).
                WaitForCapacity(last, long.MaxValue, default);
            }

            return current + 1;
        }
    }

    /// <summary>
    /// True when the previous occupant (one lap earlier) of every offset in (<paramref name="current"/>,
    /// <paramref name="last"/>] was published or abandoned: its availability entry holds its lap, one below the
    /// offset's lap (the initial -1 stands for the occupant before lap 0). Multi-writer only.
    /// </summary>
    private bool PreviousLapPublished(long current, long last)
    {
        int[] available = _available!;
        for (long offset = current + 1; offset <= last; offset++)
        {
            // Acquire: pairs with the release write of the previous occupant's entry in PublishCore, so that writer's
            // slot stores happen before ours (x64: a plain load, and TSO never lets later stores pass a load; ARM64:
            // ldar, which keeps every later load and store after it; the CAS that follows is a full fence anyway).
            // Any other entry: two laps back (or -1 in lap 1), the previous occupant is still being filled; at the
            // offset's own lap, the cursor read is stale (the CAS would fail). Either way: not now.
            if (Volatile.Read(ref available[(int)offset & _mask]) != (int)(offset >> _indexShift) - 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Slow path of an ungated multi-writer claim whose slots' previous occupants are still being filled: waits until
    /// they are published, another writer moved the cursor, or a reader registered (true: claim again), or gives up
    /// at <paramref name="deadline"/> (false; 0 = do not wait). Nothing is claimed while waiting.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForPreviousLap(long current, long last, long deadline, CancellationToken cancellationToken)
    {
        int iteration = 0;
        while (true)
        {
            // Acquire reads: the cursor and the gating array, as in ClaimMultiWriter.
            if (Volatile.Read(ref _cursor.Value) != current || Volatile.Read(ref _gating).Length != 0 || PreviousLapPublished(current, last))
            {
                return true;
            }

            if (!MayWaitLonger(deadline, cancellationToken))
            {
                return false;
            }

            if (_writerWait.Idle(ref iteration))
            {
                ParkWriterUntilPublish(current, last, deadline, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Publishes the single writer's reach (the offset after the highest it ever claimed, <c>_writerNext</c>) before it
    /// writes the slots, for lossy readers: a lossy reader that copied a slot and then reads a reach that does not cover
    /// the slot's next lap knows the copy is intact. Called only when <paramref name="next"/> is above the last announce:
    /// the reach never decreases, also when a claim is abandoned (its fill may have written part of the slots).
    /// </summary>
    private void AnnounceReach(long next)
    {
        if (s_storesMayReorder)
        {
            // Weakly ordered CPUs (ARM64): a full fence keeps the slot stores that follow from passing the announce.
            Interlocked.Exchange(ref _writerNext.Value, next);
        }
        else
        {
            // x86/x64 keep stores in program order (TSO): a release write is enough and compiles to a plain store.
            Volatile.Write(ref _writerNext.Value, next);
        }
    }

    /// <summary>
    /// The highest offset a writer may be writing now (claimed, maybe not published). A lossy reader's copy of offset
    /// <c>x</c> is intact when, read after the copy and a full fence, <c>WriterReach() &lt; x + capacity</c>.
    /// Multi-writer: the claimed cursor (the CAS, or the bias owner's store, orders the claim before the slot stores). Single writer: the announced
    /// reach (see <see cref="AnnounceReach"/>). Never decreases. Acquire reads, pairing with the CAS and the announce.
    /// </summary>
    internal long WriterReach() =>
        _multiWriter ? Volatile.Read(ref _cursor.Value) : Volatile.Read(ref _writerNext.Value) - 1;

    /// <summary>Slow path: refreshes the gating cache and waits until offset <paramref name="last"/> may be written.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForCapacity(long last, long deadline, CancellationToken cancellationToken)
    {
        int iteration = 0;
        while (true)
        {
            Sequence[] gating = Volatile.Read(ref _gating);
            if (gating.Length == 0 && _multiWriter)
            {
                // Ungated multi-writer (the readers left, or the post-claim wait found none): nothing to wait for here.
                // The cache is left alone: raising it to `last + 1` would let later claims skip the previous-lap check.
                return true;
            }

            if (gating.Length == 0)
            {
                // Ungated single writer: announce the claim, then re-check for a reader that registered
                // meanwhile. Full fence between the announce (store) and the gating read (load): either the
                // registering reader reads our announce, or we read its sequence (Dekker). The announce never
                // decreases (plain read of our own value): after an abandoned claim, a registration must still treat
                // the slots that claim reached as reused.
                Volatile.Write(ref _claimAnnounce.Value, Math.Max(_claimAnnounce.Value, last));
                Interlocked.MemoryBarrier();
                gating = Volatile.Read(ref _gating);
                if (gating.Length == 0)
                {
                    // Keep the cache low so that every ungated claim comes back here.
                    _gatingCached.Value = long.MinValue / 2;
                    return true;
                }
            }

            long min = MinGating(gating, last + 1);
            // Acquire re-read, after the sequences' acquire reads, before the minimum lets us claim: a registration that
            // published a new array meanwhile read its watermark (the new reader's start) after our sequence reads, so it
            // may be below our minimum of the old array; the new array's provisional sequence then holds us below its
            // start. Start over with it. (A minimum that makes us wait needs no re-check: waiting is always safe.)
            if (last - _capacity < min && !ReferenceEquals(Volatile.Read(ref _gating), gating))
            {
                continue;
            }

            // Single writer: plain write of a writer-owned value. Multi-writer: a benign race between writers.
            Volatile.Write(ref _gatingCached.Value, min);
            if (last - _capacity < min)
            {
                return true;
            }

            if (!MayWaitLonger(deadline, cancellationToken))
            {
                return false;
            }

            if (_writerWait.Idle(ref iteration))
            {
                ParkWriter(last, deadline, cancellationToken);
            }
        }
    }

    private void ParkWriter(long last, long deadline, CancellationToken cancellationToken)
    {
        // The writer's own deadline and cancellation end the park too (WakeOnCancel, Deadline.MillisecondsUntil).
        using CancellationTokenRegistration wakeOnCancel = WakeOnCancel(cancellationToken);
        lock (_writerGate)
        {
            // Asymmetric Dekker, slow side: raise the flag, then a process-wide barrier before the re-check of the
            // gating sequences. A reader that advances reads the flag without a fence (NotifyReaderProgress): either
            // it sees the flag, clears it and pulses the gate (which it can take only once we are inside
            // Monitor.Wait), or the barrier has made its advance visible to our re-check. A flag left raised by a
            // writer whose re-check succeeded costs one spurious pulse.
            Volatile.Write(ref _writerWakeNeeded.Value, 1);
            Interlocked.MemoryBarrierProcessWide();
            if (last - _capacity >= MinGating(Volatile.Read(ref _gating), last + 1)
                && Volatile.Read(ref _state) != StateDisposed
                && Journal?.Fault is null
                && !cancellationToken.IsCancellationRequested)
            {
                // Until the deadline at most: nobody wakes a writer at its deadline, it wakes itself.
                Monitor.Wait(_writerGate, Deadline.MillisecondsUntil(deadline, WriterParkBackstopMilliseconds));
            }
        }
    }

    /// <summary>
    /// Parks a writer waiting for another writer's publication (<see cref="WaitForPreviousLap"/>). Asymmetric Dekker,
    /// slow side, sharing the publishers' one flag load with parked readers: raise <see cref="WakeWriters"/> in the
    /// publish wake flag (an atomic OR, so a reader's bit is kept), then a process-wide barrier before the re-check.
    /// A publisher reads the flag without a fence (PublishCore): either it sees the bit, clears the flag and pulses the
    /// gate (which it can take only once we are inside Monitor.Wait), or the barrier has made its publication visible
    /// to our re-check. Dispose pulses the gate too.
    /// </summary>
    private void ParkWriterUntilPublish(long current, long last, long deadline, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration wakeOnCancel = WakeOnCancel(cancellationToken);
        lock (_writerGate)
        {
            // Full fence (atomic OR: x64 lock or; ARM64 ldsetal, or an ldaxr/stlxr loop with dmb ish). The process-wide
            // barrier below (FlushProcessWriteBuffers / membarrier: an IPI that runs a full fence on every core, on x64
            // and ARM64 alike) is what orders the publishers' side, whose store-then-load has no fence of its own.
            Interlocked.Or(ref _publishWakeNeeded.Value, WakeWriters);
            Interlocked.MemoryBarrierProcessWide();
            // Acquire reads, after the barrier: the same conditions as WaitForPreviousLap.
            if (Volatile.Read(ref _cursor.Value) == current
                && Volatile.Read(ref _gating).Length == 0
                && !PreviousLapPublished(current, last)
                && Volatile.Read(ref _state) != StateDisposed
                && !cancellationToken.IsCancellationRequested)
            {
                // Until the deadline at most: nobody wakes a writer at its deadline, it wakes itself.
                Monitor.Wait(_writerGate, Deadline.MillisecondsUntil(deadline, WriterParkBackstopMilliseconds));
            }
        }
    }

    /// <summary>
    /// While a parked writer waits, a cancellation of its token pulses the gate. Registered before the writer takes the
    /// gate, which the callback takes too; the writer checks the token under the gate before it waits, so a cancellation
    /// either is seen there or pulses after the writer released the gate in Monitor.Wait. Parking is the slow path: the
    /// registration is allowed to cost what it costs.
    /// </summary>
    private CancellationTokenRegistration WakeOnCancel(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(s_pulseWriters, this) : default;

    private static long MinGating(Sequence[] gating, long fallback)
    {
        long min = fallback;
        foreach (Sequence sequence in gating)
        {
            // Acquire (Sequence.Read): the reader finished with every slot below the value.
            min = Math.Min(min, sequence.Read());
        }

        return min;
    }

    /// <summary>
    /// One check of a writer's wait loop: false once the deadline passed (or at once for a non-waiting call, deadline
    /// 0); throws when the topic was disposed (acquire read of the state, pairs with Dispose's release write) or the
    /// token was cancelled. Nothing was claimed while waiting, so either exit leaves no effect behind.
    /// </summary>
    private bool MayWaitLonger(long deadline, CancellationToken cancellationToken)
    {
        if (deadline == 0)
        {
            return false;
        }

        if (Volatile.Read(ref _state) == StateDisposed)
        {
            ThrowHelper.ObjectDisposed($"topic '{TopicName}'");
        }

        if (Journal?.Fault is not null)
        {
            // The journaller gates the ring and stopped: the ring will never drain. Tell the writer why.
            ThrowJournalFault();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return deadline == long.MaxValue || Stopwatch.GetTimestamp() < deadline;
    }
}
