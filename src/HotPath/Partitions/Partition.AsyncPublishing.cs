using HotPath.Internal;

namespace HotPath.Partitions;

/// <content>
/// Async publishing: <see cref="PublishAsync"/> and <see cref="WaitToPublishAsync"/>, which await room on a full ring
/// without blocking a thread.
/// </content>
/// <remarks>
/// <para><b>Design.</b> An async writer that finds no room registers a <see cref="RoomWaiter"/> in <c>_roomWaiters</c>
/// (under <c>_writerGate</c>), raises the same flags a parking writer raises (<c>_writerWakeNeeded</c>, which readers
/// read when they advance, and in multi-writer mode the <see cref="WakeWriters"/> bit of <c>_publishWakeNeeded</c>, which
/// publishers read: an ungated multi-writer claim waits for the previous lap's writer, not for readers), runs a
/// process-wide barrier and re-checks for room (<see cref="HasRoomFor"/>). The one reader (or publisher) that wins the
/// flag's exchange completes every registered waiter in <c>WakeWaitingWriters</c>; the waiters' continuations run on the thread
/// pool (<see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>), never on the reader's thread. A completed
/// waiter only means "try again": the writer claims with the non-waiting <c>TryPublish</c>, so nothing is claimed while
/// it waits, and a cancellation (which removes the waiter) or a time-out leaves nothing behind.</para>
/// <para><b>Readers' cost.</b> None beyond what they paid already: <c>NotifyReaderProgress</c> loads
/// <c>_writerWakeNeeded</c> once per commit, a line written only when a writer starts waiting (sync or async) and by the
/// reader that clears it, so an L1 hit while nobody waits.</para>
/// <para><b>No lost wake-up</b> (asymmetric Dekker, as <c>ParkWriter</c>): the waiter's store (the flag, an atomic
/// exchange or OR: a full fence on x64 and ARM64) is followed by <see cref="Interlocked.MemoryBarrierProcessWide"/>
/// (FlushProcessWriteBuffers/membarrier: every core runs a full fence) and then by the acquire reads of the re-check; a
/// reader's store (its sequence, a CAS or release write) is followed by a plain load of the flag, with no fence of its
/// own. The barrier splits each reader's store/load pair: either the reader's store is visible to the re-check (there
/// is room: the waiter retries at once), or the reader's load comes after the barrier and sees the flag (it completes
/// the waiter). The waiter is in the list before the flag is raised (the lock orders the list before the flag store),
/// and the reader that read the flag takes the list under the same lock afterwards, so it finds the waiter. The same
/// holds for a publisher and the <see cref="WakeWriters"/> bit (its store is the availability entry's release write).
/// Complete, Dispose and a journal failure release every waiter unconditionally (<c>WakeAll</c>); the waiter's re-check
/// reads the state after registering under the lock those take, so it either sees the state or is released.</para>
/// </remarks>
public sealed partial class Partition<T>
{
    // A cancelled async writer's wake-up: one delegate for every partition of T (the registration allocates, only when a
    // writer waits).
    private static readonly Action<object?, CancellationToken> s_cancelRoomWaiter =
        static (waiter, token) => ((RoomWaiter)waiter!).Cancel(token);

    /// <summary>Async writers waiting for room; guarded by <c>_writerGate</c>. Null while none waits.</summary>
    private List<RoomWaiter>? _roomWaiters;

    /// <summary>
    /// Copies <paramref name="event"/> into the next slot and publishes it; while the ring is full, awaits room without
    /// blocking a thread (readers that commit, or in multi-writer mode a writer that publishes, wake it).
    /// </summary>
    /// <param name="event">The event; copied into its slot, or (when the call waits) into the pending operation first.</param>
    /// <param name="cancellationToken">Cancels the wait for a free slot; nothing is published then. A token already
    /// cancelled publishes nothing, even when a slot is free.</param>
    /// <returns>The event's offset. Completes synchronously, allocating nothing, when a slot is free.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before a slot was free (its token is
    /// <paramref name="cancellationToken"/>): nothing was claimed or published.</exception>
    /// <exception cref="InvalidOperationException">The topic is complete (also when it completes while the call waits).</exception>
    /// <exception cref="ObjectDisposedException">The topic was disposed, also while waiting.</exception>
    /// <exception cref="Durability.JournalException">The journal of a durable topic failed while the ring was full: it
    /// will not drain.</exception>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/> (in single-writer mode one pending publish at a time, from the
    /// partition's one writer).</remarks>
    public ValueTask<long> PublishAsync(in T @event, CancellationToken cancellationToken = default)
    {
        // The fast path is TryPublish itself: one more branch on the token and one on the state (a closed partition goes
        // to the slow path, so that its exception ends up in the returned task). Acquire read of the state, pairing with
        // Complete's CAS and Dispose's release write; ClaimCore reads it again anyway.
        if (!cancellationToken.IsCancellationRequested && Volatile.Read(ref _state) == StateOpen && TryPublish(in @event, out long offset))
        {
            return new ValueTask<long>(offset);
        }

        return PublishAsyncSlow(@event, cancellationToken);
    }

    /// <summary>
    /// Completes with true once a slot is free (then <c>TryPublish</c> succeeds, unless another writer took it first), or
    /// with false once the partition is complete or disposed (as <c>ChannelWriter.WaitToWriteAsync</c>). Awaits without
    /// blocking a thread.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when there is room; false when the partition no longer takes events.</returns>
    /// <exception cref="OperationCanceledException">Cancelled while waiting, or before the call.</exception>
    /// <exception cref="Durability.JournalException">The journal of a durable topic failed while the ring was full.</exception>
    /// <remarks>Thread-safety: see <see cref="PublishMode"/> (it reads the single writer's own position in single-writer
    /// mode: call it from that writer).</remarks>
    public ValueTask<bool> WaitToPublishAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        // Acquire: pairs with the state's writes in Complete and Dispose.
        if (Volatile.Read(ref _state) != StateOpen)
        {
            return new ValueTask<bool>(false);
        }

        return HasRoomFor(1) ? new ValueTask<bool>(true) : WaitToPublishAsyncSlow(cancellationToken);
    }

    private async ValueTask<long> PublishAsyncSlow(T @event, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Throws when the partition is complete or disposed; nothing is claimed when it returns false.
            if (TryPublish(in @event, out long offset))
            {
                return offset;
            }

            await AwaitRoomAsync(1, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<bool> WaitToPublishAsyncSlow(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Volatile.Read(ref _state) != StateOpen)
            {
                return false;
            }

            if (HasRoomFor(1))
            {
                return true;
            }

            await AwaitRoomAsync(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Registers a waiter and awaits its release (room may have appeared, or the partition closed): the caller checks
    /// again. Returns at once when the re-check after registering finds room or a closed partition.
    /// </summary>
    private async ValueTask AwaitRoomAsync(int count, CancellationToken cancellationToken)
    {
        RoomWaiter? waiter = RegisterRoomWaiter(count);
        if (waiter is null)
        {
            return;
        }

        // A token cancelled before this runs the callback here, synchronously: the await then throws at once.
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(s_cancelRoomWaiter, waiter);
        try
        {
            await waiter.Signal.Task.ConfigureAwait(false);
        }
        finally
        {
            // Unregister, not Dispose: Dispose blocks while the callback runs on the cancelling thread (it completed our
            // signal as its last step, so this continuation may already run). The callback is harmless once we are done:
            // removing a waiter no longer in the list and cancelling a completed signal change nothing.
            registration.Unregister();
        }
    }

    /// <summary>
    /// The slow side of the async writers' asymmetric Dekker (see the type's remarks): registers a waiter, raises the
    /// flags, runs the process-wide barrier, re-checks. Null when the re-check finds room or a closed partition (the
    /// waiter is removed again); else the registered waiter, which a reader, a publisher or a close releases.
    /// </summary>
    private RoomWaiter? RegisterRoomWaiter(int count)
    {
        if (Journal?.Fault is not null)
        {
            // The journaller gates the ring and stopped: it will never drain (as MayWaitLonger tells a sync writer).
            ThrowJournalFault();
        }

        var waiter = new RoomWaiter(this);
        lock (_writerGate)
        {
            (_roomWaiters ??= []).Add(waiter);
        }

        // Full fence (exchange): the flag is stored after the waiter joined the list (a reader that reads the flag and
        // then takes the list under the gate finds it). Pairs with the plain load in NotifyReaderProgress.
        Interlocked.Exchange(ref _writerWakeNeeded.Value, 1);
        if (_multiWriter)
        {
            // An ungated multi-writer claim waits for the previous lap's writer to publish (WaitForPreviousLap), not for
            // a reader: raise the publishers' bit too (atomic OR: a parked reader's bit survives). Pairs with the plain
            // load in PublishCore. Raised whatever the reason the claim failed: the gating set may change meanwhile, and
            // either wake-up only makes the writer try again.
            Interlocked.Or(ref _publishWakeNeeded.Value, WakeWriters);
        }

        // Every core runs a full fence: a reader's (publisher's) earlier store is visible to the re-check below, or its
        // later flag load sees the flag raised above (x64 and ARM64 alike).
        Interlocked.MemoryBarrierProcessWide();
        // Acquire reads, after the barrier. The state after the list's lock: Complete/Dispose write the state and then
        // take the gate to release the waiters, so we see the state or they see our waiter.
        if (Volatile.Read(ref _state) != StateOpen || Journal?.Fault is not null || HasRoomFor(count))
        {
            RemoveRoomWaiter(waiter);
            return null;
        }

        return waiter;
    }

    /// <summary>
    /// True when a claim of <paramref name="count"/> offsets would find room now (or the partition is closed): the
    /// condition <c>ParkWriter</c> and <c>ParkWriterUntilPublish</c> re-check, without claiming anything.
    /// </summary>
    private bool HasRoomFor(int count)
    {
        // Acquire: the gating array (copy-on-write, released by registrations).
        Sequence[] gating = Volatile.Read(ref _gating);
        if (_multiWriter)
        {
            // Acquire: the latest claim (its CAS); the claim re-validates it anyway.
            long current = Volatile.Read(ref _cursor.Value);
            long last = current + count;
            return gating.Length == 0
                ? PreviousLapPublished(current, last)
                : last - _capacity < MinGating(gating, last + 1);
        }

        if (gating.Length == 0)
        {
            // An ungated single writer overwrites the oldest slot: always room.
            return true;
        }

        // Single writer: its own position, written by this logical writer only (plain; an await in between is ordered by
        // the task's completion).
        long next = _writerResume != NoResume ? _writerResume : _writerNext.Value;
        long lastOffset = next + count - 1;
        return lastOffset - _capacity < MinGating(gating, lastOffset + 1);
    }

    private void RemoveRoomWaiter(RoomWaiter waiter)
    {
        lock (_writerGate)
        {
            _roomWaiters?.Remove(waiter);
        }
    }

    /// <summary>
    /// Releases every async writer waiting for room (they check again) and takes the list, so that the next waiter
    /// registers anew. Completed outside the gate; their continuations run on the thread pool.
    /// </summary>
    private void ReleaseRoomWaiters(List<RoomWaiter>? waiters)
    {
        if (waiters is null)
        {
            return;
        }

        foreach (RoomWaiter waiter in waiters)
        {
            waiter.Signal.TrySetResult();
        }
    }

    /// <summary>One async writer waiting for room: its signal, and the partition its cancellation removes it from.</summary>
    private sealed class RoomWaiter(Partition<T> partition)
    {
        public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The token's callback: out of the list first (no release reaches a gone waiter), then cancelled.</summary>
        public void Cancel(CancellationToken token)
        {
            partition.RemoveRoomWaiter(this);
            Signal.TrySetCanceled(token);
        }
    }
}
