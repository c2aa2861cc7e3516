namespace HotPath.Consumers;

/// <summary>
/// Handles events a contiguous run of slots at a time, as a span over the ring: nothing is copied.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>A batch ends where the ring wraps, where an abandoned offset (a gap) lies, and at the group's batch limit,
/// so one available run may arrive as several calls. The span is valid only during the call.
/// Thread-safety: one handler instance is called by one thread at a time.</para>
/// <para><b>A struct handler is copied</b> into the member at <c>JoinBatch</c> (that copy is what the member's loop calls
/// without virtual dispatch). State kept in the struct's own fields therefore lives in the member's copy: the value
/// passed to <c>JoinBatch</c>, or any other copy, never sees it (a counter field still reads 0 there after 100 events). Keep
/// state that others must see behind a reference: a class handler, or a struct holding a reference to a shared
/// object (written by the member's thread: publish it to readers accordingly). Fields of a struct handler suit state
/// private to the member, such as buffers or counts flushed at the end of a batch.</para>
/// </remarks>
public interface IBatchHandler<T>
    where T : struct
{
    /// <summary>Handles a run of events with consecutive offsets.</summary>
    /// <param name="events">The events, in offset order.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="firstOffset">The offset of <c>events[0]</c>.</param>
    void OnBatch(ReadOnlySpan<T> events, int partition, long firstOffset);
}
