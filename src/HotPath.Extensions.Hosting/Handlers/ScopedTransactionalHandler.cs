using HotPath.Consumers;
using HotPath.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Handlers;

/// <summary>
/// Calls a transactional handler resolved from the container, one service scope per transaction: the member runs each
/// batch in one transaction, so the scope opens at the batch's first event and ends after the event marked
/// <c>endOfBatch</c>, before the transaction commits. When the handler throws, the transaction aborts and the member hands
/// the batch out again in a new transaction: the scope ends at once, and the new transaction gets a new one.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="THandler">The handler, resolved from each transaction's scope.</typeparam>
/// <param name="scopes">The container's scope factory.</param>
/// <remarks>
/// Costs one scope per batch. A member fenced inside a batch never returns to end its scope: that scope is left to the
/// garbage collector (its transaction is aborted by the fence). Thread-safety: called by one member thread at a time.
/// </remarks>
internal struct ScopedTransactionalHandler<T, THandler>(IServiceScopeFactory scopes) : ITransactionalHandler<T>
    where T : struct
    where THandler : class, ITransactionalHandler<T>
{
    private AsyncServiceScope _scope;
    private THandler? _handler;

    /// <inheritdoc/>
    public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
    {
        THandler handler = _handler ?? Begin();
        try
        {
            handler.OnEvent(in @event, partition, offset, endOfBatch, transaction);
        }
        catch (Exception error)
        {
            // The transaction aborts: nothing of this scope's work is kept, and the batch comes again in a new one.
            EndAfter(error);
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

    private void EndAfter(Exception error)
    {
        try
        {
            End();
        }
        catch (Exception disposal)
        {
            throw new AggregateException($"the handler threw, then its scope failed to dispose: {disposal.Message}", error, disposal);
        }
    }

    private void End()
    {
        AsyncServiceScope scope = _scope;
        _scope = default;
        _handler = null;
        ScopeDisposal.End(scope);
    }
}
