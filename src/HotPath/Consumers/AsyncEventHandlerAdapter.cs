namespace HotPath.Consumers;

/// <summary>
/// Runs an <see cref="IAsyncEventHandler{T}"/> as an <see cref="IAsyncContextHandler{T}"/>: the one asynchronous member
/// worker serves both (an asynchronous call costs far more than the context's few fields).
/// </summary>
/// <remarks>Thread-safety: as the handler it wraps.</remarks>
internal struct AsyncEventHandlerAdapter<T, THandler>(THandler handler) : IAsyncContextHandler<T>
    where T : struct
    where THandler : IAsyncEventHandler<T>
{
    private THandler _handler = handler;

    public ValueTask OnEventAsync(T @event, EventContext context, CancellationToken cancellationToken) =>
        _handler.OnEventAsync(@event, context.Partition, context.Offset, cancellationToken);
}
