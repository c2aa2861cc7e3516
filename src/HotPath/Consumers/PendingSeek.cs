namespace HotPath.Consumers;

/// <summary>
/// A seek that <c>ConsumerGroup.Seek</c> asked a member to apply between two batches, and its result.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> The request is applied at most once, and only if its caller still waits: <c>_state</c> moves
/// once, by CAS, from pending to either claimed (the member's thread, in <see cref="TryClaim"/>, before it touches the
/// cursor) or withdrawn (the caller, in <see cref="TryWithdraw"/>, when its time-out expired). Both CASes are full
/// fences on the same field, so exactly one wins: a caller that withdrew can report a time-out knowing the seek will
/// never be applied; a caller that lost the race knows the member is applying it and waits for its outcome (a cursor
/// seek never waits for a handler, so that wait is short).</para>
/// <para>Thread-safety: created by the caller; the member's thread writes <see cref="Error"/> and then sets
/// <see cref="Done"/> under the member's control lock; the caller reads <see cref="Done"/> under that lock, and
/// <see cref="Error"/> after it saw <see cref="Done"/> (the lock orders the two).</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class PendingSeek<T>(GroupPartition<T> partition, long offset)
    where T : struct
{
    private const int Pending = 0;
    private const int Claimed = 1;
    private const int Withdrawn = 2;

    private int _state;

    /// <summary>The partition to seek.</summary>
    public GroupPartition<T> Partition { get; } = partition;

    /// <summary>The offset to move to.</summary>
    public long Offset { get; } = offset;

    /// <summary>True once the member applied (or refused) the seek.</summary>
    public bool Done { get; set; }

    /// <summary>Why the seek was refused, or null.</summary>
    public Exception? Error { get; set; }

    /// <summary>The member's thread: records the outcome and wakes the waiting caller.</summary>
    /// <param name="control">The member's control lock.</param>
    /// <param name="error">Why the seek was refused, or null.</param>
    public void Complete(object control, Exception? error)
    {
        Error = error;
        lock (control)
        {
            Done = true;
            Monitor.PulseAll(control);
        }
    }

    /// <summary>
    /// The caller: waits until the member applied the seek, and rethrows its error. On time-out the request is
    /// withdrawn: either it is never applied and this throws <see cref="TimeoutException"/>, or the member had claimed
    /// it and this reports the outcome.
    /// </summary>
    /// <param name="control">The member's control lock, which <see cref="Complete"/> pulses.</param>
    /// <param name="exited">True once the member's thread ended; read under <paramref name="control"/>.</param>
    /// <param name="timeout">How long to wait for the member to reach a safe point.</param>
    /// <param name="memberId">The member, for messages.</param>
    public void Await(object control, Func<bool> exited, TimeSpan timeout, string memberId)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        bool gone;
        lock (control)
        {
            while (!Done && !exited() && Environment.TickCount64 < deadline)
            {
                Monitor.Wait(control, (int)Math.Clamp(deadline - Environment.TickCount64, 1, 50));
            }

            gone = exited();
        }

        if (!Done && TryWithdraw())
        {
            if (gone)
            {
                Internal.ThrowHelper.InvalidOperation($"member '{memberId}' left before it applied the seek of {Partition.Id}: seek again");
            }

            Internal.ThrowHelper.Timeout($"seek of {Partition.Id} by member '{memberId}' (withdrawn: it will not be applied)", timeout);
        }

        // Claimed by the member (or done): it is applying the seek now, which never waits for a handler.
        lock (control)
        {
            while (!Done)
            {
                Monitor.Wait(control);
            }
        }

        if (Error is not null)
        {
            throw Error;
        }
    }

    /// <summary>The member's thread takes the request before applying it; false when its caller withdrew it.</summary>
    /// <returns>True when the member must apply it (and then set <see cref="Done"/>).</returns>
    public bool TryClaim() =>
        // CAS (full fence): pairs with the CAS in TryWithdraw; the cursor is touched only after a successful claim.
        Interlocked.CompareExchange(ref _state, Claimed, Pending) == Pending;

    /// <summary>The caller gives up on the request; false when the member already claimed it.</summary>
    /// <returns>True when the request will never be applied.</returns>
    public bool TryWithdraw() =>
        // CAS (full fence): pairs with the CAS in TryClaim; after a successful withdraw no claim can succeed.
        Interlocked.CompareExchange(ref _state, Withdrawn, Pending) == Pending;
}
