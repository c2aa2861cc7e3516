namespace HotPath.Consumers;

/// <summary>
/// Handles events that need to await (I/O, a downstream service). The event is passed by value: a
/// reference into the ring cannot live across an <c>await</c>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// The member's worker thread awaits each call before the next event of its partitions, so per-partition order
/// holds. A call that completes synchronously costs no allocation (<see cref="ValueTask"/>).
/// Thread-safety: one handler instance is called by one logical flow at a time.
/// </remarks>
public interface IAsyncEventHandler<T>
    where T : struct
{
    /// <summary>Handles one event.</summary>
    /// <param name="event">A copy of the event.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="offset">The event's offset.</param>
    /// <param name="cancellationToken">Cancelled when the member stops or loses the partition.</param>
    /// <returns>A task that completes when the event is handled.</returns>
    ValueTask OnEventAsync(T @event, int partition, long offset, CancellationToken cancellationToken);
}
