namespace HotPath.Consumers;

/// <summary>
/// Handles events a contiguous run of slots at a time, as a span over the ring: nothing is copied.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// A batch ends where the ring wraps, where an abandoned offset (a gap) lies, and at the group's batch limit,
/// so one available run may arrive as several calls. The span is valid only during the call.
/// Thread-safety: one handler instance is called by one thread at a time.
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
