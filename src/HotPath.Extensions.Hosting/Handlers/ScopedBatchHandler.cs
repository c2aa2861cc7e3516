using HotPath.Consumers;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Handlers;

/// <summary>
/// Calls a batch handler resolved from the container, one service scope per batch (per <c>OnBatch</c> call): the scope
/// ends when the call returns or throws, before the member commits the batch.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="THandler">The handler, resolved from each batch's scope.</typeparam>
/// <param name="scopes">The container's scope factory.</param>
/// <remarks>Costs one scope per batch. Thread-safety: called by one member thread at a time.</remarks>
internal readonly struct ScopedBatchHandler<T, THandler>(IServiceScopeFactory scopes) : IBatchHandler<T>
    where T : struct
    where THandler : class, IBatchHandler<T>
{
    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<T> events, int partition, long firstOffset)
    {
        AsyncServiceScope scope = scopes.CreateAsyncScope();
        try
        {
            scope.ServiceProvider.GetRequiredService<THandler>().OnBatch(events, partition, firstOffset);
        }
        finally
        {
            ScopeDisposal.End(scope);
        }
    }
}
