namespace HotPath.Consumers;

/// <summary>
/// Handles events that need to await, with an <see cref="EventContext"/>: the event and the context are passed by
/// value, and both stay valid across the handler's awaits.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para>Joined with <c>ConsumerGroup.Join</c> (an extension overload, <see cref="ContextHandlerJoins"/>); the
/// member awaits each call before the next event, as for <see cref="IAsyncEventHandler{T}"/>, whose remarks (the
/// member's token, struct handlers copied) hold here too. <see cref="EventContext.Commit"/> may run in the call's
/// continuations, on whatever thread they run, until the returned task completes.
/// Thread-safety: one handler instance is called by one logical flow at a time.</para>
/// </remarks>
public interface IAsyncContextHandler<T>
    where T : struct
{
    /// <summary>Handles one event.</summary>
    /// <param name="event">A copy of the event.</param>
    /// <param name="context">Where it comes from; valid until the returned task completes.</param>
    /// <param name="cancellationToken">The member's token: see <see cref="IAsyncEventHandler{T}.OnEventAsync"/>.</param>
    /// <returns>A task that completes when the event is handled.</returns>
    ValueTask OnEventAsync(T @event, EventContext context, CancellationToken cancellationToken);
}
