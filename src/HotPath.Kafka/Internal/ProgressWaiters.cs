namespace HotPath.Kafka.Internal;

/// <summary>
/// Callers waiting until per-partition progress (a committed offset) reaches targets captured when they started waiting:
/// <c>KafkaMirror.WaitMirroredAsync</c> and <c>KafkaSource.WaitCommittedAsync</c>.
/// </summary>
/// <remarks>
/// <para><b>Design.</b> The waiters live in a list under <c>_gate</c>. The progress thread calls <see cref="Check"/> after
/// each commit; with nobody waiting that is one acquire read of <c>_count</c>. A waiter registers under the lock and then
/// checks the progress itself, so a commit that lands between its capture and its registration is not missed: either the
/// registration's own check sees it, or the committing thread's <see cref="Check"/> (which reads the count after its commit,
/// and the count was raised under the lock before the registering thread's check) finds the waiter. Tasks complete with
/// continuations run asynchronously: never user code on the progress thread or under the lock.</para>
/// <para><b>Ending.</b> Cancellation removes the waiter and cancels its task: it leaves nothing behind. <see cref="FailAll"/>
/// (the owner faulted or was disposed) fails every waiter and every later one with the same exception;
/// <see cref="FailUnreached"/> fails the waiters whose target on a partition can no longer be reached by this owner.</para>
/// <para>Thread-safety: any thread.</para>
/// </remarks>
internal sealed class ProgressWaiters(Func<int, long> progress)
{
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = [];
    private int _count;
    private Exception? _terminal;

    /// <summary>
    /// Completes once <c>progress(p) &gt;= targets[p]</c> for every partition with a target (-1: none); fails with the
    /// owner's terminal exception; cancelled by <paramref name="cancellationToken"/>, leaving no waiter behind.
    /// </summary>
    public Task WaitAsync(long[] targets, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(targets);
        lock (_gate)
        {
            if (_terminal is not null)
            {
                return Task.FromException(_terminal);
            }

            if (Reached(targets))
            {
                return Task.CompletedTask;
            }

            _waiters.Add(waiter);
            // Release (under the lock as well): a progress thread that commits after this reads a count above 0.
            Volatile.Write(ref _count, _waiters.Count);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Register(cancellationToken.Register(
                static state =>
                {
                    var (owner, waiter, token) = ((ProgressWaiters, Waiter, CancellationToken))state!;
                    if (owner.Remove(waiter))
                    {
                        waiter.Completion.TrySetCanceled(token);
                    }
                },
                (this, waiter, cancellationToken)));
        }

        // Re-check after registering: progress may have reached the targets before the waiter was in the list.
        Check();
        return waiter.Completion.Task;
    }

    /// <summary>Completes the waiters whose targets are reached. Progress thread, after a commit (or any thread).</summary>
    public void Check()
    {
        // Acquire: pairs with the release in WaitAsync; 0 (nobody waits) is the common, lock-free case.
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        List<Waiter>? done = null;
        lock (_gate)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (Reached(_waiters[i].Targets))
                {
                    (done ??= []).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }

            Volatile.Write(ref _count, _waiters.Count);
        }

        done?.ForEach(w => w.Complete(null));
    }

    /// <summary>Fails every waiter, now and later, with <paramref name="exception"/> (first terminal exception wins).</summary>
    public void FailAll(Exception exception)
    {
        List<Waiter> failed;
        lock (_gate)
        {
            _terminal ??= exception;
            failed = [.. _waiters];
            _waiters.Clear();
            Volatile.Write(ref _count, 0);
        }

        failed.ForEach(w => w.Complete(_terminal));
    }

    /// <summary>
    /// Fails the waiters with a target not reached on <paramref name="partition"/>, which this owner can no longer move;
    /// <paramref name="describe"/> builds the exception from the partition's target.
    /// </summary>
    public void FailUnreached(int partition, Func<long, Exception> describe)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        List<Waiter>? failed = null;
        lock (_gate)
        {
            long reached = progress(partition);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                long target = _waiters[i].Targets[partition];
                if (target >= 0 && reached < target)
                {
                    (failed ??= []).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }

            Volatile.Write(ref _count, _waiters.Count);
        }

        failed?.ForEach(w => w.Complete(describe(w.Targets[partition])));
    }

    private bool Remove(Waiter waiter)
    {
        lock (_gate)
        {
            bool removed = _waiters.Remove(waiter);
            Volatile.Write(ref _count, _waiters.Count);
            return removed;
        }
    }

    private bool Reached(long[] targets)
    {
        for (int p = 0; p < targets.Length; p++)
        {
            if (targets[p] >= 0 && progress(p) < targets[p])
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Waiter(long[] targets)
    {
        public long[] Targets { get; } = targets;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private readonly object _sync = new();
        private CancellationTokenRegistration _registration;
        private bool _completed;

        /// <summary>Keeps the cancellation registration, or disposes it at once when the waiter already completed.</summary>
        public void Register(CancellationTokenRegistration registration)
        {
            lock (_sync)
            {
                if (!_completed)
                {
                    _registration = registration;
                    return;
                }
            }

            registration.Dispose();
        }

        public void Complete(Exception? error)
        {
            CancellationTokenRegistration registration;
            lock (_sync)
            {
                _completed = true;
                registration = _registration;
            }

            // Off the waiter's lock: Dispose waits for a callback that is running, which may be completing this waiter.
            registration.Dispose();
            if (error is null)
            {
                Completion.TrySetResult();
            }
            else
            {
                Completion.TrySetException(error);
            }
        }
    }
}
