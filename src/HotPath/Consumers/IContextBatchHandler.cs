namespace HotPath.Consumers;

/// <summary>
/// Handles events a contiguous run of slots at a time, as a span over the ring, with an <see cref="EventContext"/> that
/// covers the whole span.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>Joined with <c>ConsumerGroup.JoinBatch</c> (an extension overload, <see cref="ContextHandlerJoins"/>). Batches
/// end where <see cref="IBatchHandler{T}"/> says. The context's <see cref="EventContext.Offset"/> is the span's first
/// offset and <see cref="EventContext.Count"/> its length, so <see cref="EventContext.Commit"/> commits through the
/// span's last event (next offset <c>Offset + Count</c>); to commit part of a span, call <c>ConsumerGroup.Commit</c>
/// with the offset. Everything <see cref="IBatchHandler{T}"/> says about struct handlers holds here too.
/// Thread-safety: one handler instance is called by one thread at a time.</para>
/// </remarks>
public interface IContextBatchHandler<T>
    where T : struct
{
    /// <summary>Handles a run of events with consecutive offsets.</summary>
    /// <param name="events">The events, in offset order.</param>
    /// <param name="context">Where they come from: the topic, the partition and the first offset.</param>
    void OnBatch(ReadOnlySpan<T> events, in EventContext context);
}
