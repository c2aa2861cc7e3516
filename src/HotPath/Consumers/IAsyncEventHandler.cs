namespace HotPath.Consumers;

/// <summary>
/// Handles events that need to await (I/O, a downstream service). The event is passed by value: a
/// reference into the ring cannot live across an <c>await</c>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>The member's worker thread awaits each call before the next event of its partitions, so per-partition order
/// holds. A call that completes synchronously costs no allocation (<see cref="ValueTask"/>).
/// Thread-safety: one handler instance is called by one logical flow at a time.</para>
/// <para><b>A struct handler is copied</b> into the member at <c>Join</c> (boxed once: the member calls that copy through
/// this interface). State kept in the struct's own fields therefore lives in the member's copy: the value
/// passed to <c>Join</c>, or any other copy, never sees it (a counter field still reads 0 there after 100 events). Keep
/// state that others must see behind a reference: a class handler, or a struct holding a reference to a shared
/// object (written by the member's thread: publish it to readers accordingly). Fields of a struct handler suit state
/// private to the member, such as buffers or counts flushed at the end of a batch. An <c>async</c> method of a
/// struct runs on a copy of the struct, so its field changes do not even last from one call to the next.</para>
/// </remarks>
public interface IAsyncEventHandler<T>
    where T : struct
{
    /// <summary>Handles one event.</summary>
    /// <param name="event">A copy of the event.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="offset">The event's offset.</param>
    /// <param name="cancellationToken">
    /// The member's token, cancelled when the member stops: it leaves, is declared failed (fenced by the session
    /// watchdog or a rebalance deadline), faults, or the group is disposed. A member loses a partition without stopping
    /// only between events (a revocation waits for the current call), so a running call is cancelled only when its member
    /// stops. A leave or <c>Dispose</c> revokes first and cancels after: it waits for the running call (up to
    /// <c>RebalanceTimeout</c> and <c>SessionTimeout</c>, or <c>ShutdownTimeout</c>), and a call still awaiting the token
    /// then is cancelled by the fence that ends that wait. A call that then ends with <see cref="OperationCanceledException"/> is no handler failure: the error policy
    /// does not see it, and the event, not committed, goes to the partition's next owner.
    /// </param>
    /// <returns>A task that completes when the event is handled.</returns>
    ValueTask OnEventAsync(T @event, int partition, long offset, CancellationToken cancellationToken);
}
