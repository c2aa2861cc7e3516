using HotPath.Consumers;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Handlers;

/// <summary>
/// Calls an async handler resolved from the container, one service scope per event (as a web request gets one): an
/// async handler sees one event per call and no batch boundary, and each call awaits I/O that dwarfs a scope's cost.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="THandler">The handler, resolved from each call's scope.</typeparam>
/// <param name="scopes">The container's scope factory.</param>
/// <remarks>Costs one scope per event (and the state machine of a call that really awaits). Thread-safety: called by one member thread at a time.</remarks>
internal readonly struct ScopedAsyncHandler<T, THandler>(IServiceScopeFactory scopes) : IAsyncEventHandler<T>
    where T : struct
    where THandler : class, IAsyncEventHandler<T>
{
    /// <inheritdoc/>
    public async ValueTask OnEventAsync(T @event, int partition, long offset, CancellationToken cancellationToken)
    {
        AsyncServiceScope scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await scope.ServiceProvider.GetRequiredService<THandler>().OnEventAsync(@event, partition, offset, cancellationToken).ConfigureAwait(false);
        }
    }
}
