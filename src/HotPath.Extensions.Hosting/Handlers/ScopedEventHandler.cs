using HotPath.Consumers;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Handlers;

/// <summary>
/// Calls a handler resolved from the container, one service scope per batch: the scope opens at a batch's first event
/// and ends after the event the member marks <c>endOfBatch</c>, before the member commits the batch, so a scoped unit of
/// work (a DbContext) sees the batch whole and the handler saves it at <c>endOfBatch</c>. When the handler throws, the
/// scope stays open: the error policy retries that event (and a skip or dead letter goes on with the batch) in the same
/// unit of work, which still holds the batch's earlier events; ending it there would drop them while the member
/// commits past them.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="THandler">The handler, resolved from each batch's scope.</typeparam>
/// <param name="scopes">The container's scope factory.</param>
/// <remarks>
/// A struct: each member holds its own copy, so the open scope is the member's. Costs one scope per batch (amortized over
/// up to <c>MaxBatchSize</c> events), nothing per event but the interface call. A member that stops inside a batch (its
/// error policy stops it, or it is fenced) never reaches <c>endOfBatch</c>: its open scope is left to the garbage
/// collector and its scoped services are not disposed; and, as with any handler that defers work to
/// <c>endOfBatch</c>, what it deferred for the events before the failing one is not saved, though the member commits
/// them (save before rethrowing where that matters).
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
        handler.OnEvent(in @event, partition, offset, endOfBatch);
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
