using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Internal;
using HotPath.Workers;

namespace HotPath.Partitions;

/// <content>Waking: the park and wake-up protocols between writers and readers.</content>
public sealed partial class Partition<T>
{
    /// <summary>Registers a reader's parker: publishes will unpark it while it is parked.</summary>
    internal void AddReaderParker(Parker parker)
    {
        lock (_registrationLock)
        {
            // Release: a publisher that finds the wake flag raised by this reader also finds this parker.
            Volatile.Write(ref _readerParkers, [.. _readerParkers, parker]);
        }
    }

    /// <summary>Unregisters a reader's parker.</summary>
    internal void RemoveReaderParker(Parker parker)
    {
        lock (_registrationLock)
        {
            Parker[] before = _readerParkers;
            Volatile.Write(ref _readerParkers, Array.FindAll(before, p => !ReferenceEquals(p, parker)));
        }
    }

    /// <summary>
    /// A reader about to park (its parker announced with <see cref="Parker.BeginParking"/>) raises its bit in the publish
    /// wake flag, then must re-check for events before parking. The slow side of an asymmetric Dekker with
    /// <see cref="PublishCore"/>: the process-wide barrier (every running thread executes a full fence) costs
    /// microseconds here, once per park, so that publishers pay no fence per event: either a publisher sees the flag,
    /// or the barrier made its publication visible to the reader's re-check.
    /// </summary>
    internal void EnterReaderPark()
    {
        // Atomic OR (a full fence on x64, lock or, and on ARM64, ldsetal or ldaxr/stlxr with dmb ish; so also a release
        // after the parker's announce: a publisher that reads this flag also reads the announce). An OR rather than a
        // store: a writer's bit raised meanwhile must survive.
        Interlocked.Or(ref _publishWakeNeeded.Value, WakeReaders);
        Interlocked.MemoryBarrierProcessWide();
    }

    /// <summary>A safety net for the park protocol: the longest a parked reader sleeps without a wake-up.</summary>
    internal static int ReaderParkBackstop => ReaderParkBackstopMilliseconds;

    /// <summary>
    /// Called by a reader after it advanced its gating sequence (a member's or pull reader's commit, the journaller's
    /// commit of what it journaled, a registration, removal, fence or seek): wakes writers waiting on a full ring, parked
    /// (blocking wait strategy) or awaiting (<see cref="PublishAsync"/>, <see cref="WaitToPublishAsync"/>).
    /// </summary>
    internal void NotifyReaderProgress()
    {
        // Asymmetric Dekker, fast side: no fence between the reader's sequence write (before this call) and this
        // load; ParkWriter and RegisterRoomWaiter run a process-wide barrier between raising the flag and their
        // re-check. The exchange lets one reader wake per raise: the others see the flag down again and pay nothing.
        // The reader's whole cost while no writer waits is this one load: the flag's line is written only when a writer
        // starts waiting (a parked one needs the blocking strategy, an async one any strategy) and by the reader that
        // clears it, so it stays shared in every reader's cache.
        if (Volatile.Read(ref _writerWakeNeeded.Value) != 0 && Interlocked.Exchange(ref _writerWakeNeeded.Value, 0) != 0)
        {
            WakeWaitingWriters();
        }
    }

    /// <summary>Wakes whoever raised the publish wake flag: parked readers, writers waiting for a previous lap's occupant.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeParked()
    {
        // The exchange (a full fence) elects one publisher per raised flag (several publish in multi-writer mode); it
        // orders the reads of the parkers' announces after the flag, see Parker.UnparkIfParking.
        long raised = Interlocked.Exchange(ref _publishWakeNeeded.Value, 0);
        if ((raised & WakeReaders) != 0)
        {
            // Acquire: the parkers registered before the reader parked.
            foreach (Parker parker in Volatile.Read(ref _readerParkers))
            {
                parker.UnparkIfParking();
            }
        }

        if ((raised & WakeWriters) != 0)
        {
            // A parked writer raised its bit holding the gate, so we get the gate only once it waits (or gave up
            // waiting); an async writer registered before raising it (RegisterRoomWaiter), so we find it in the list.
            WakeWaitingWriters();
        }
    }

    private void WakeAll()
    {
        foreach (Parker parker in Volatile.Read(ref _readerParkers))
        {
            parker.Unpark();
        }

        WakeWaitingWriters();
    }

    /// <summary>
    /// Wakes every writer parked on the gate and releases every async writer waiting for room: all re-check what they
    /// wait for. One pass through the gate for both.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeWaitingWriters()
    {
        List<RoomWaiter>? waiters;
        lock (_writerGate)
        {
            Monitor.PulseAll(_writerGate);
            waiters = _roomWaiters;
            _roomWaiters = null;
        }

        ReleaseRoomWaiters(waiters);
    }

    /// <summary>Wakes every writer parked on the gate (they re-check what they wait for); a parked writer's cancellation.</summary>
    private void PulseWriters()
    {
        lock (_writerGate)
        {
            Monitor.PulseAll(_writerGate);
        }
    }
}
