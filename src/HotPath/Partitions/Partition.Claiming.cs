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
    private long ClaimCore(int count, long deadline, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != StateOpen)
        {
            ThrowClosed();
        }

        if (_multiWriter)
        {
            return ClaimMultiWriter(count, deadline, cancellationToken);
        }

        // Single writer: _writerNext, _writerPublished and _writerReach are written by this thread only, so plain
        // reads are exact.
        long next = _writerNext.Value;
        if (next != _writerPublished.Value + 1)
        {
            ThrowUnpublishedClaim();
        }

        long last = next + count - 1;
        // _gatingCached is writer-owned in single-writer mode: plain read.
        if (last - _capacity >= _gatingCached.Value && !WaitForCapacity(last, deadline, cancellationToken))
        {
            return -1;
        }

        // Plain: writer-owned, on its own line (readers never read it).
        _writerNext.Value = last + 1;
        // Plain read of our own last announce. Offsets that an abandoned claim gave back are below the reach already
        // (announced before that claim's fill): the announce below is only for offsets never claimed before.
        if (last >= _writerReach.Value)
        {
            AnnounceReach(last + 1);
        }

        return next;
    }

    private long ClaimMultiWriter(int count, long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Acquire: the latest claimed offset; the CAS below validates it.
            long current = Volatile.Read(ref _cursor.Value);
            long last = current + count;
            bool ungated = false;
            // Benign race: any writer may have refreshed the cache; a stale (low) value only costs a slow path.
            if (last - _capacity >= Volatile.Read(ref _gatingCached.Value))
            {
                Sequence[] gating = Volatile.Read(ref _gating);
                ungated = gating.Length == 0;
                if (!ungated && !WaitForCapacity(last, deadline, cancellationToken))
                {
                    return -1;
                }
            }

            // Full fence: the claim is visible to every thread before this writer touches the slots, and
            // this writer's later read of _gating cannot move before it (the ungated check below).
            if (Interlocked.CompareExchange(ref _cursor.Value, last, current) != current)
            {
                continue;
            }

            if (ungated && Volatile.Read(ref _gating).Length != 0)
            {
                // A reader registered while we claimed without gating: it saw our claim (registration reads
                // _cursor after a full fence) or we see it now. Either way, wait until our slots are free for it.
                WaitForCapacity(last, long.MaxValue, default);
            }

            return current + 1;
        }
    }

    /// <summary>
    /// Publishes the single writer's reach (the offset after the highest it ever claimed) before it writes the slots, for
    /// lossy readers: a lossy reader that copied a slot and then reads a reach that does not cover the slot's next lap
    /// knows the copy is intact. Called only when <paramref name="next"/> is above the last announce: the reach never
    /// decreases, also when a claim is abandoned (its fill may have written part of the slots).
    /// </summary>
    private void AnnounceReach(long next)
    {
        if (s_storesMayReorder)
        {
            // Weakly ordered CPUs (ARM64): a full fence keeps the slot stores that follow from passing the announce.
            Interlocked.Exchange(ref _writerReach.Value, next);
        }
        else
        {
            // x86/x64 keep stores in program order (TSO): a release write is enough and compiles to a plain store.
            Volatile.Write(ref _writerReach.Value, next);
        }
    }

    /// <summary>
    /// The highest offset a writer may be writing now (claimed, maybe not published). A lossy reader's copy of offset
    /// <c>x</c> is intact when, read after the copy and a full fence, <c>WriterReach() &lt; x + capacity</c>.
    /// Multi-writer: the CAS-claimed cursor (the CAS orders the claim before the slot stores). Single writer: the announced
    /// reach (see <see cref="AnnounceReach"/>). Never decreases. Acquire reads, pairing with the CAS and the announce.
    /// </summary>
    internal long WriterReach() =>
        _multiWriter ? Volatile.Read(ref _cursor.Value) : Volatile.Read(ref _writerReach.Value) - 1;

    /// <summary>Slow path: refreshes the gating cache and waits until offset <paramref name="last"/> may be written.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForCapacity(long last, long deadline, CancellationToken cancellationToken)
    {
        int iteration = 0;
        while (true)
        {
            Sequence[] gating = Volatile.Read(ref _gating);
            if (gating.Length == 0 && !_multiWriter)
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
            // Single writer: plain write of a writer-owned value. Multi-writer: a benign race between writers.
            Volatile.Write(ref _gatingCached.Value, min);
            if (last - _capacity < min)
            {
                return true;
            }

            if (deadline == 0)
            {
                return false;
            }

            if (Volatile.Read(ref _state) == StateDisposed)
            {
                ThrowHelper.ObjectDisposed($"topic '{TopicName}'");
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (deadline != long.MaxValue && Stopwatch.GetTimestamp() >= deadline)
            {
                return false;
            }

            if (_writerWait.Idle(ref iteration))
            {
                ParkWriter(last);
            }
        }
    }

    private void ParkWriter(long last)
    {
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
                && Volatile.Read(ref _state) != StateDisposed)
            {
                Monitor.Wait(_writerGate, WriterParkBackstopMilliseconds);
            }
        }
    }

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
}
