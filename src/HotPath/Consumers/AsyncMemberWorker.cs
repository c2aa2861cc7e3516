namespace HotPath.Consumers;

/// <summary>A member worker that awaits an <see cref="IAsyncEventHandler{T}"/> per event, on its own thread.</summary>
/// <remarks>
/// The worker waits for each call before the next event, so per-partition order holds. A call that completes
/// synchronously costs nothing; one that really awaits costs the task it returns. Thread-safety: see
/// <see cref="MemberWorker{T}"/>.
/// </remarks>
internal sealed class AsyncMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : IAsyncEventHandler<T>
{
    private Adapter _adapter;

    public AsyncMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler, CancellationToken stopping)
        : base(group, memberId, groupInstanceId, core) => _adapter = new Adapter(handler, stopping);

    protected override int Dispatch(ReadCursor<T> cursor, int max) => cursor.Dispatch(ref _adapter, max);

    private struct Adapter(THandler handler, CancellationToken stopping) : IEventHandler<T>
    {
        private THandler _handler = handler;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch)
        {
            ValueTask pending = _handler.OnEventAsync(@event, partition, offset, stopping);
            if (pending.IsCompleted)
            {
                // Consume it even when it completed synchronously: a ValueTask backed by an IValueTaskSource must be
                // consumed exactly once (its GetResult is where a pooled source goes back to its pool), and a
                // synchronous failure is thrown here. Free for a plain or Task-backed ValueTask.
                pending.GetAwaiter().GetResult();
                return;
            }

            pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
