namespace HotPath.Consumers;

/// <summary>
/// Handles events one at a time, by reference into the ring slot, with an <see cref="EventContext"/>: the topic the
/// event comes from (a group may read several), its partition and offset, end of batch, and <see cref="EventContext.Commit"/>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>Joined with <c>ConsumerGroup.Join</c> like an <see cref="IEventHandler{T}"/> (an extension overload,
/// <see cref="ContextHandlerJoins"/>), and called the same way: a struct handler without virtual dispatch, no
/// allocation per event; the context is built on the member's stack. The reference and the context are valid during
/// the call only. Everything <see cref="IEventHandler{T}"/> says about struct handlers being copied into their member
/// holds here too. Thread-safety: one handler instance is called by one thread at a time.</para>
/// </remarks>
public interface IContextHandler<T>
    where T : struct
{
    /// <summary>Handles one event.</summary>
    /// <param name="event">The event, read-only in its slot.</param>
    /// <param name="context">Where it comes from; <see cref="EventContext.Commit"/> commits through it.</param>
    void OnEvent(ref readonly T @event, in EventContext context);
}
