using HotPath.Consumers;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Handlers;

/// <summary>
/// Calls a handler resolved from the container, one service scope per batch: the scope opens at a batch's first event
/// and ends after the event the member marks <c>endOfBatch</c>, before the member commits the batch (so a scoped unit of
/// work, such as a DbContext, sees the batch whole and is flushed by the handler at <c>endOfBatch</c>). When the handler
/// throws, the scope ends at once and the next attempt gets a new one: a failed attempt's scoped state is not reused.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="THandler">The handler, resolved from each batch's scope.</typeparam>
/// <param name="scopes">The container's scope factory.</param>
/// <remarks>
/// A struct: each member holds its own copy, so the open scope is the member's. Costs one scope per batch (amortized over
/// up to <c>MaxBatchSize</c> events), nothing per event but the interface call. A member fenced in the middle of a batch
/// stops handing out events before <c>endOfBatch</c>; its last scope is then ended by the garbage collector only.
/// Thread-safety: called by one member thread at a time.
/// </remarks>
internal struct ScopedEventHandler<T, THandler>(IServiceScopeFactory scopes) : IEventHandler<T>
    where T : struct
    where THandler : class, IEventHandler<T>
{
    private AsyncServiceScope _scope;
    private THandler? _handler;

    /// <inheritdoc/>
    public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch)
    {
        THandler handler = _handler ?? Begin();
        try
        {
            handler.OnEvent(in @event, partition, offset, endOfBatch);
        }
        catch
        {
            End();
            throw;
        }

        if (endOfBatch)
        {
            End();
        }
    }

    private THandler Begin()
    {
        _scope = scopes.CreateAsyncScope();
        return _handler = _scope.ServiceProvider.GetRequiredService<THandler>();
    }

    private void End()
    {
        AsyncServiceScope scope = _scope;
        _scope = default;
        _handler = null;
        ScopeDisposal.End(scope);
    }
}
