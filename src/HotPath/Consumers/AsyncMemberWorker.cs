namespace HotPath.Consumers;

/// <summary>A member worker that awaits an <see cref="IAsyncContextHandler{T}"/> per event, on its own thread.</summary>
/// <remarks>
/// <para>The worker waits for each call before the next event, so per-partition order holds. A call that completes
/// synchronously costs nothing; one that really awaits costs the task it returns.</para>
/// <para><b>The member's token.</b> One token source per member, created with it: every call gets its token, which is
/// cancelled when the member stops (<see cref="MemberWorker{T}.OnStopping"/>: it leaves, is declared failed, faults,
/// or the group is disposed) and disposed once the token is no longer needed. <c>_tokenState</c> decides who disposes
/// it: <c>Live</c> → <c>Cancelling</c> (a stopping thread won the CAS and cancels) → <c>Cancelled</c>; the worker's
/// thread, when it ends, first cancels too if nobody did (its thread ends only when the member stops, possibly before
/// the stopping caller reached its CAS), then exchanges in <c>Ended</c> and disposes unless a cancellation is in progress, in which case
/// the canceller disposes once its callbacks ran (its CAS from <c>Cancelling</c> fails). Each path disposes once, and
/// never while <c>CancelAsync</c> still runs callbacks.</para>
/// <para><b>Contexts.</b> Each call gets its <see cref="EventContext"/>; the partition's handle is marked open for the
/// call (so the call's continuations may commit through it) until its task completed. An <see cref="IAsyncEventHandler{T}"/>
/// runs through <see cref="AsyncEventHandlerAdapter{T, THandler}"/>.</para>
/// <para>Thread-safety: see <see cref="MemberWorker{T}"/>; <see cref="OnStopping"/> from any thread.</para>
/// </remarks>
internal sealed class AsyncMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : IAsyncContextHandler<T>
{
    private const int Live = 0;
    private const int Cancelling = 1;
    private const int Cancelled = 2;
    private const int Ended = 3;

    private readonly CancellationTokenSource _stopping = new();
    private Adapter _adapter;
    private int _tokenState;

    public AsyncMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler)
        : base(group, memberId, groupInstanceId, core) => _adapter = new Adapter(handler, _stopping.Token);

    protected override int Dispatch(ReadCursor<T> cursor, int max)
    {
        _adapter.Partition = ContextOf(cursor);
        return ProcessSpans.IsListening ? ProcessSpans.Dispatch(cursor, ref _adapter, max, GroupIdOfMember) : cursor.Dispatch(ref _adapter, max);
    }

    /// <summary>Cancels the member's token, once; its callbacks (the handler's continuations) run on the thread pool.</summary>
    protected override void OnStopping()
    {
        // CAS: the first stopping caller (or the ending thread itself) cancels; a later one, or one after the thread
        // ended (Ended), does nothing: the ending thread cancelled first.
        // Full fence: pairs with the exchange in OnThreadEnded, which then leaves the disposal to us.
        if (Interlocked.CompareExchange(ref _tokenState, Cancelling, Live) != Live)
        {
            return;
        }

        // CancelAsync marks the token cancelled before it returns (a handler that checks it sees it at once) and runs
        // the callbacks on the pool: never the handler's code on the caller's thread, which may hold the rebalance lock.
        Task callbacks = _stopping.CancelAsync();
        if (callbacks.IsCompleted)
        {
            EndCancellation(callbacks);
        }
        else
        {
            callbacks.ContinueWith(
                static (callbacks, state) => ((AsyncMemberWorker<T, THandler>)state!).EndCancellation(callbacks),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>
    /// The member's thread ends: the member stopped, so its token is cancelled (if no stopping caller did it yet: the
    /// thread can end between a stop request's wake-up and its <see cref="OnStopping"/>), then the token source is
    /// disposed unless a cancellation still runs its callbacks.
    /// </summary>
    protected override void OnThreadEnded()
    {
        OnStopping();
        // Full fence: pairs with the CASes in OnStopping and EndCancellation; Cancelling means the canceller disposes.
        if (Interlocked.Exchange(ref _tokenState, Ended) != Cancelling)
        {
            _stopping.Dispose();
        }
    }

    /// <summary>True when <paramref name="exception"/> is the handler giving up because the member's token was cancelled.</summary>
    protected override bool IsStopCancellation(Exception exception) =>
        // Reads the token's own (volatile) state, set by CancelAsync before OnStopping returned; a handler that throws
        // OperationCanceledException for another reason while its member stops is treated the same: the member stops.
        exception is OperationCanceledException && _adapter.Stopping.IsCancellationRequested;

    private void EndCancellation(Task callbacks)
    {
        if (callbacks.IsFaulted)
        {
            // A callback registered on the member's token threw: observed here (never an unobserved task exception)
            // and kept where the group reports its off-thread failures.
            Group.RecordBackgroundError(callbacks.Exception);
        }

        // CAS: the callbacks ran; if the thread ended meanwhile (Ended), it left the disposal to us.
        if (Interlocked.CompareExchange(ref _tokenState, Cancelled, Cancelling) != Cancelling)
        {
            _stopping.Dispose();
        }
    }

    private struct Adapter(THandler handler, CancellationToken stopping) : IEventHandler<T>
    {
        private THandler _handler = handler;

        /// <summary>The context handle of the partition being dispatched; set by the worker before each batch.</summary>
        public ContextPartition Partition = null!;

        /// <summary>The member's token, as every call gets it.</summary>
        public readonly CancellationToken Stopping => stopping;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch)
        {
            ContextPartition handle = Partition;
            // Open before the call: its continuations may run (and commit) on another thread before it returns.
            handle.AsyncCallOpen = true;
            try
            {
                ValueTask pending = _handler.OnEventAsync(@event, new EventContext(handle, offset, 1, endOfBatch), stopping);
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
            finally
            {
                handle.AsyncCallOpen = false;
            }
        }
    }
}
