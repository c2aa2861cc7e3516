namespace HotPath.Consumers;

/// <summary>
/// Handles events one at a time, by reference into the ring slot: nothing is copied.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>Implement it on a <c>struct</c> and pass it as a generic argument: the runtime then specialises the
/// consumer loop for the handler and calls it without virtual dispatch (a class handler works too, through an
/// interface call). The reference is valid only during the call: the writer may reuse the slot once the
/// reader's offset is committed past it. Thread-safety: one handler instance is called by one thread at a time.</para>
/// <para><b>A struct handler is copied</b> into the member at <c>Join</c> (that copy is what the member's loop calls
/// without virtual dispatch). State kept in the struct's own fields therefore lives in the member's copy: the value
/// passed to <c>Join</c>, or any other copy, never sees it (a counter field still reads 0 there after 100 events). Keep
/// state that others must see behind a reference: a class handler, or a struct holding a reference to a shared
/// object (written by the member's thread: publish it to readers accordingly). Fields of a struct handler suit state
/// private to the member, such as buffers or counts flushed at the end of a batch.</para>
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
