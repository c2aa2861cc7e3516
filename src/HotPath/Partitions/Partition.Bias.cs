using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Partitions;

/// <content>
/// Writer bias: a multi-writer partition that has seen one publishing thread only claims without an atomic
/// read-modify-write, until a second thread publishes.
/// </content>
/// <remarks>
/// <para><b>Why.</b> A multi-writer claim CASes the cursor. A locked instruction is a full fence: it waits until the
/// writer's earlier stores (the previous slot and its availability entry, lines the reader has just read) are written
/// back, so with a busy reader every claim stalls on a cache-line round trip that a single writer's plain store never
/// waits for. Most multi-writer partitions (the default mode) have one publishing thread at a time, or for long
/// stretches: the bias gives that thread the single writer's claim.</para>
/// <para><b>States</b> of <c>_bias</c>: <see cref="BiasNone"/> (nobody claimed yet), a thread's
/// <see cref="WriterIdentity"/> number (the owner;
/// only it moves the cursor), <see cref="BiasRevoking"/>, <see cref="BiasShared"/> (every writer CASes, for the
/// partition's lifetime). The first claiming thread takes the bias with a CAS from None; any other thread that claims
/// revokes it: CAS owner -> Revoking, a process-wide barrier, a wait until the owner is outside its claim section
/// (<c>_ownerClaiming</c> is 0), then Shared. Threads that find Revoking wait for Shared.</para>
/// <para><b>Memory ordering.</b> The owner's claim section is an asymmetric Dekker's fast side: it stores
/// <c>_ownerClaiming = 1</c>, then re-reads <c>_bias</c> with no fence in between (x64: a plain store and a plain load,
/// which TSO may reorder; ARM64: stlr then ldar/ldapr, which ldapr does not order either). The revoker's slow side
/// stores Revoking (a CAS, full fence), then runs <see cref="Interlocked.MemoryBarrierProcessWide"/> (membarrier or
/// FlushProcessWriteBuffers: every running thread of the process executes a full fence at some point of its program),
/// then reads <c>_ownerClaiming</c>. That point splits the owner's program: if the owner's re-read is before it, its
/// store of 1 is too, and the revoker's read after the barrier sees 1 (or the 0 the owner stores when it leaves, after
/// its cursor store) and waits; if the re-read is after it, it sees Revoking and the owner leaves without claiming. So
/// the owner never moves the cursor after the revoker read 0. The owner leaves with a release store of 0, after its
/// cursor store: the revoker's acquire read of 0 makes that cursor value visible, its release store of Shared passes
/// it on to every thread that reads Shared (acquire) before its CAS, so CASes continue from the owner's last claim.</para>
/// <para>The section is short and never waits (<c>ClaimMultiWriter</c> leaves it before any wait), so a revoker waits
/// for a few instructions of the owner, or for the scheduler when the owner was preempted inside them; meanwhile it keeps
/// the writer's deadline, token and the topic's disposal, and on any of them hands the bias back to the owner (Revoking
/// -> owner: nobody claimed in between) so that no exit leaves the partition half revoked. Nothing in a
/// section throws, so a section always ends; an owner thread that ended simply never claims again (its number is never
/// reused), and the next thread that claims revokes its bias as it would revoke a live owner's (unless it claims from
/// exactly the ended owner's recorded frame: see below).</para>
/// <para><b>Who is the owner.</b> The owner's number is the thread's <see cref="WriterIdentity"/>, a thread-static. On
/// Linux a thread-static read is a call into the runtime's TLS resolver (the JIT output of <c>ClaimMultiWriter</c> shows
/// <c>call rax</c>, and a profile <c>__tls_get_addr</c>), 3-8 ns per claim measured, as much as the rest of the claim.
/// So the fast path recognises the owner by its stack instead: the owner, identified by its number on the slow path,
/// records the address of its claiming frame (<c>_ownerFrame</c>), and a claim whose own frame is at exactly that
/// address is the owner's. At any instant an address lies in at most one thread's stack, and while the owner lives its
/// stack is its own: no other live thread has a frame there, so no other thread passes the check. A claim that does not
/// match (another thread, or the owner claiming from another call depth or call site: the claim is inlined into its
/// caller, each inlined copy with a frame address of its own) takes the slow path, which compares numbers, and there
/// the owner records its new frame. Only the owner writes the field (plain: a reader of a stale value sees 0,
/// which no frame has, or an address of the owner's stack, and neither matches its own frames). Once the owner thread
/// ended, a thread that later claims from exactly that address (its stack's memory reused) passes: it claims as the
/// owner, which is safe because the ended owner no longer claims, and it is still one owner at a time. The frame is an
/// address compared as a number, never dereferenced; a thread's stack does not move (CoreCLR and NativeAOT run managed
/// frames on the thread's own stack; runtimes that switch managed code between stacks are outside this argument).</para>
/// </remarks>
public sealed partial class Partition<T>
{
    private const long BiasNone = 0;
    private const long BiasRevoking = -1;
    private const long BiasShared = -2;

    // EnterOwnedClaim's results.
    private const int ClaimShared = 0;
    private const int ClaimOwned = 1;
    private const int ClaimGaveUp = -1;

    /// <summary>
    /// Multi-writer: enters the owner's claim section and returns <see cref="ClaimOwned"/> when the calling thread owns
    /// the bias (taking it when nobody claimed yet); returns <see cref="ClaimShared"/>, with the bias shared, otherwise
    /// (revoking it first if another thread owns it); or <see cref="ClaimGaveUp"/> when <paramref name="deadline"/> passed
    /// while a revocation waited (nothing changed then). Throws what a writer's wait throws (disposed, cancelled, journal
    /// failed), also with nothing changed. The caller leaves an owned section with <see cref="LeaveOwnedClaim"/> before it
    /// waits or returns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int EnterOwnedClaim(long deadline, CancellationToken cancellationToken, nint frame)
    {
        // Acquire (plain on x64): the bias, usually a line no one writes any more.
        long bias = Volatile.Read(ref _bias.Value);
        if (bias == BiasShared)
        {
            return ClaimShared;
        }

        return TryEnterAsOwner(bias, frame) ? ClaimOwned : EnterOwnedClaimSlow(deadline, cancellationToken, frame);
    }

    /// <summary>
    /// Enters the owner's claim section when <paramref name="bias"/> (just read) names an owner, the calling thread is
    /// recognised as that owner by its claiming frame <paramref name="frame"/> (see "Who is the owner" in the type's
    /// remarks), and it still owns the bias after announcing itself; false otherwise, with nothing changed: another
    /// thread, the owner at another call depth (the slow path asks the thread's number), or no owner.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryEnterAsOwner(long bias, nint frame) => bias > 0 && IsOwnerFrame(frame) && TryEnterSection(bias);

    /// <summary>
    /// The owner's claim of <paramref name="count"/> offsets when the writers' cached gating minimum already allows it:
    /// true with the first offset, else false with nothing claimed (not the owner, revoked meanwhile, or the cache says
    /// look at the readers: the caller goes to <c>ClaimMultiWriter</c>). Exactly <c>ClaimMultiWriter</c>'s owned, gated
    /// path, inlined into the claim: the same reads in the same order and the same store (see its comments and
    /// <see cref="StoreOwnedClaim"/>). Within the cached minimum the slots' previous occupants were passed by a lossless
    /// reader, so they are published whether or not a reader is still registered (the cache only ever holds a minimum
    /// of real gating sequences).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryClaimOwned(int count, nint frame, out long first)
    {
        // Acquire (plain on x64): the bias, usually a line no one writes any more.
        if (TryEnterAsOwner(Volatile.Read(ref _bias.Value), frame))
        {
            // The owner's own last store: only it moves the cursor while it holds the bias.
            long current = Volatile.Read(ref _cursor.Value);
            long last = current + count;
            // Benign race, as in ClaimMultiWriter: a stale (low) value only sends the claim there.
            if (last - _capacity < Volatile.Read(ref _gatingCached.Value))
            {
                StoreOwnedClaim(last, ungated: false);
                LeaveOwnedClaim(owned: true);
                first = current + 1;
                return true;
            }

            LeaveOwnedClaim(owned: true);
        }

        first = -1;
        return false;
    }

    /// <summary>
    /// The address of a local of the calling frame (inlined: of the caller's frame): where the calling thread's stack is.
    /// Only compared, never dereferenced.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint CurrentFrame()
    {
        // Never read: no store needed (the JIT would otherwise zero it on every claim).
        Unsafe.SkipInit(out byte local);
        return Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref local);
    }

    /// <summary>
    /// True when <paramref name="frame"/> is the owner's recorded claiming frame (see the type's remarks); false while none
    /// is recorded (0, which no frame is).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsOwnerFrame(nint frame) =>
        // Plain read: written only by the owner thread (RecordOwnerFrame); another thread reads 0 or an address in the
        // owner's stack, and neither is one of its own frames.
        _ownerFrame == frame;

    /// <summary>
    /// The owner thread, found by its number on the slow path, records <paramref name="frame"/> so that its next claims
    /// from the same call depth take the fast path.
    /// </summary>
    private void RecordOwnerFrame(nint frame) => _ownerFrame = frame;

    /// <summary>
    /// The owner <paramref name="owner"/> (the calling thread) enters its claim section: true when it still owns the bias
    /// after announcing itself, else false with the section left (revoked under us: we moved nothing; the revoker goes on).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryEnterSection(long owner)
    {
        // Dekker, fast side (see the type's remarks): announce, then re-read without a fence.
        Volatile.Write(ref _ownerClaiming.Value, 1);
        if (Volatile.Read(ref _bias.Value) == owner)
        {
            return true;
        }

        Volatile.Write(ref _ownerClaiming.Value, 0);
        return false;
    }

    /// <summary>Leaves the owner's claim section (release: the cursor stored in it is visible to the revoker).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LeaveOwnedClaim(bool owned)
    {
        if (owned)
        {
            Volatile.Write(ref _ownerClaiming.Value, 0);
        }
    }

    /// <summary>
    /// Takes the bias when nobody holds it, else revokes it or waits for its revocation; see the type's remarks. Both
    /// waits are short unless a thread was preempted inside its window, and both end like a writer's wait on a full ring:
    /// at the deadline (<see cref="ClaimGaveUp"/>; a deadline of 0 still waits, the windows being a few instructions
    /// long), or with the exception of <c>MayWaitLonger</c> on dispose, cancellation or a journal failure. A revoker that
    /// gives up hands the bias back to its owner first (nobody claimed meanwhile: every other writer waited for Shared, the
    /// owner backed out of its section), so no exit leaves the partition half revoked. The pause between checks cannot throw
    /// (no <see cref="Thread.Sleep(int)"/>, which a pending <see cref="Thread.Interrupt"/> turns into an exception).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int EnterOwnedClaimSlow(long deadline, CancellationToken cancellationToken, nint frame)
    {
        long me = WriterIdentity.Current;
        int pauses = 0;
        while (true)
        {
            long bias = Volatile.Read(ref _bias.Value);
            if (bias == BiasShared)
            {
                return ClaimShared;
            }

            if (bias == me)
            {
                // Taken by this thread (below, or earlier), from another depth than the recorded frame, or none recorded yet:
                // record this one, then enter as the fast path does, or look again if revoked meanwhile.
                RecordOwnerFrame(frame);
                if (TryEnterSection(me))
                {
                    return ClaimOwned;
                }

                continue;
            }

            if (bias == BiasNone)
            {
                // Full fence (CAS). Nobody has moved the cursor yet: the first claimer owns it from here.
                Interlocked.CompareExchange(ref _bias.Value, me, BiasNone);
                continue;
            }

            if (bias == BiasRevoking)
            {
                // Another thread revokes: it waits for a few of the owner's instructions at most.
                if (!MayWaitForBias(deadline, cancellationToken))
                {
                    return ClaimGaveUp;
                }

                PauseForBias(ref pauses);
                continue;
            }

            // Another thread owns the bias: revoke it (full fence, CAS; a second revoker fails here and waits above).
            if (Interlocked.CompareExchange(ref _bias.Value, BiasRevoking, bias) != bias)
            {
                continue;
            }

            Interlocked.MemoryBarrierProcessWide();
            // Acquire: pairs with the owner's release store of 0 when it leaves, after its cursor store.
            while (Volatile.Read(ref _ownerClaiming.Value) != 0)
            {
                bool mayWait;
                try
                {
                    mayWait = MayWaitForBias(deadline, cancellationToken);
                }
                catch
                {
                    // Release: hand the bias back before the exception leaves (see the summary).
                    Volatile.Write(ref _bias.Value, bias);
                    throw;
                }

                if (!mayWait)
                {
                    Volatile.Write(ref _bias.Value, bias);
                    return ClaimGaveUp;
                }

                PauseForBias(ref pauses);
            }

            // Release: threads that read Shared see the owner's last cursor store (see the type's remarks).
            Volatile.Write(ref _bias.Value, BiasShared);
            return ClaimShared;
        }
    }

    /// <summary>A bias wait's check: as <c>MayWaitLonger</c>, except that a deadline of 0 (a non-waiting call) waits too.</summary>
    private bool MayWaitForBias(long deadline, CancellationToken cancellationToken) =>
        MayWaitLonger(deadline == 0 ? long.MaxValue : deadline, cancellationToken);

    /// <summary>A pause between checks of a bias wait that cannot throw: spins, then yields the core.</summary>
    private static void PauseForBias(ref int pauses)
    {
        if (pauses++ < 64)
        {
            Thread.SpinWait(8);
        }
        else
        {
            Thread.Yield();
        }
    }

    /// <summary>
    /// The owner's claim of (current, last]: stores the cursor, which only the owner moves while it holds the bias. A
    /// gated claim needs what a single writer's announce needs: the claim ordered before the slot stores for lossy
    /// readers (x64 TSO: a release store; ARM64: an exchange, a full fence). An ungated claim needs a full fence before the
    /// caller re-reads the gating array, as the CAS gives (Dekker with a registering reader, see ClaimMultiWriter).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreOwnedClaim(long last, bool ungated)
    {
        if (ungated || s_storesMayReorder)
        {
            Interlocked.Exchange(ref _cursor.Value, last);
        }
        else
        {
            Volatile.Write(ref _cursor.Value, last);
        }
    }

    /// <summary>Tests: true while a thread owns the bias (no second thread has claimed yet).</summary>
    internal bool IsWriterBiased => Volatile.Read(ref _bias.Value) > 0;
}
