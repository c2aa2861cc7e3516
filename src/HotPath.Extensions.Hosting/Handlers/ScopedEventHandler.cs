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
/// <param name="stopAfterFailures">
/// The failed attempts at one event after which the error policy stops the member (its <c>MaxAttempts</c> with
/// <c>StopMember</c>; <see cref="int.MaxValue"/> when it skips or dead-letters instead): the scope ends with that last
/// attempt, since no <c>endOfBatch</c> follows.
/// </param>
/// <remarks>
/// A struct: each member holds its own copy, so the open scope is the member's. Costs one scope per batch (amortized over
/// up to <c>MaxBatchSize</c> events), nothing per event but the interface call and one store. A member fenced inside a
/// batch (stuck past a time-out) never returns to end its scope: that scope is left to the garbage collector and its
/// scoped services are not disposed. As with any handler that defers work to <c>endOfBatch</c>, what it deferred for the
/// events before an event that stops the member is not saved, though the member commits them (save before rethrowing
/// where that matters).
/// Thread-safety: called by one member thread at a time.
/// </remarks>
internal struct ScopedEventHandler<T, THandler>(IServiceScopeFactory scopes, int stopAfterFailures) : IEventHandler<T>
    where T : struct
    where THandler : class, IEventHandler<T>
{
    private AsyncServiceScope _scope;
    private THandler? _handler;
    private (int Partition, long Offset) _failed;
    private int _failures;

    /// <inheritdoc/>
    public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch)
    {
        THandler handler = _handler ?? Begin();
        try
        {
            handler.OnEvent(in @event, partition, offset, endOfBatch);
        }
        catch (Exception error) when (IsLastAttempt(partition, offset))
        {
            EndAfter(error);
            throw;
        }

        _failures = 0;
        if (endOfBatch)
        {
            End();
        }
    }

    /// <summary>Counts a failed attempt; true when the error policy stops the member after it.</summary>
    private bool IsLastAttempt(int partition, long offset)
    {
        _failures = _failed == (partition, offset) ? _failures + 1 : 1;
        _failed = (partition, offset);
        return _failures >= stopAfterFailures;
    }

    /// <summary>Ends the scope of a member about to stop; a failure to dispose it travels with the handler's error.</summary>
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
