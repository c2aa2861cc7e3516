namespace HotPath.Consumers;

/// <summary>
/// Handles events one at a time, by reference into the ring slot: nothing is copied.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// Implement it on a <c>struct</c> and pass it as a generic argument: the runtime then specialises the
/// consumer loop for the handler and calls it without virtual dispatch (a class handler works too, through an
/// interface call). The reference is valid only during the call: the writer may reuse the slot once the
/// reader's offset is committed past it. Thread-safety: one handler instance is called by one thread at a time.
/// </remarks>
public interface IEventHandler<T>
    where T : struct
{
    /// <summary>Handles one event.</summary>
    /// <param name="event">The event, read-only in its slot.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="offset">The event's offset in the partition.</param>
    /// <param name="endOfBatch">True for the last event of the batch available now: a good moment to flush.</param>
    void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch);
}
