using System.Diagnostics;
using System.Runtime.CompilerServices;
using HotPath.Internal;

namespace HotPath.Transactions;

/// <summary>
/// Kafka's transaction coordinator, in process: it hands out transactional publishers, fences the previous instance of
/// a transactional id when a new one is created (its epoch rises), and aborts transactions open longer than their
/// time-out, so that a hung publisher cannot hold a partition's last stable offset forever.
/// </summary>
/// <remarks>
/// <para>One coordinator is one namespace of transactional ids: create one per application (or per test) and share it.
/// Its time-out check runs on a dedicated background thread (not the thread pool, which a group's rebalance waiting for
/// stuck members may starve) every quarter of the shortest time-out among its live publishers (from 1 ms to 250 ms);
/// it allocates nothing per tick.</para>
/// <para>Thread-safety: every member is safe from any thread.</para>
/// </remarks>
public sealed class TransactionCoordinator : IDisposable
{
    private static readonly TimeSpan MaxTick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MinTick = TimeSpan.FromMilliseconds(1);

    private readonly object _lock = new();
    private readonly Dictionary<string, int> _epochs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransactionalPublisher> _current = new(StringComparer.Ordinal);
    private readonly List<TransactionalPublisher> _live = [];
    private readonly ManualResetEventSlim _stop = new();
    private TimeSpan _tick = MaxTick;
    private bool _disposed;

    /// <summary>Creates a coordinator whose transactions time out after 10 s unless a publisher asks otherwise.</summary>
    public TransactionCoordinator()
        : this(TimeSpan.FromSeconds(10))
    {
    }

    /// <summary>Creates a coordinator.</summary>
    /// <param name="defaultTransactionTimeout">
    /// How long a transaction may stay open before it is aborted (Kafka's <c>transaction.timeout.ms</c>, whose default is
    /// 60 s; ours is 10 s, the group session time-out's default, because in one process a transaction is a batch, not a
    /// network round trip). At least 1 ms.
    /// </param>
    public TransactionCoordinator(TimeSpan defaultTransactionTimeout)
    {
        CheckTimeout(defaultTransactionTimeout, nameof(defaultTransactionTimeout));
        DefaultTransactionTimeout = defaultTransactionTimeout;
        var thread = new Thread(CheckLoop)
        {
            IsBackground = true,
            Name = "HotPath transaction time-outs",
        };
        thread.Start();
    }

    /// <summary>The time-out of a publisher created without one.</summary>
    public TimeSpan DefaultTransactionTimeout { get; }

    /// <summary>
    /// Creates the publisher of <paramref name="transactionalId"/> (Kafka's <c>InitTransactions</c>): its epoch is one above
    /// the previous instance's, which is fenced (its open transaction is aborted, and it throws
    /// <see cref="ProducerFencedException"/> from then on).
    /// </summary>
    /// <param name="transactionalId">The transactional id; not empty.</param>
    /// <param name="transactionTimeout">How long its transactions may stay open, or null for the coordinator's default.</param>
    /// <returns>The publisher; dispose it when done.</returns>
    /// <exception cref="ObjectDisposedException">The coordinator was disposed.</exception>
    public TransactionalPublisher CreatePublisher(string transactionalId, TimeSpan? transactionTimeout = null)
    {
        if (string.IsNullOrEmpty(transactionalId))
        {
            ThrowHelper.Argument(nameof(transactionalId), $"{nameof(transactionalId)} must not be null or empty, was '{transactionalId}'");
        }

        TimeSpan timeout = transactionTimeout ?? DefaultTransactionTimeout;
        CheckTimeout(timeout, nameof(transactionTimeout));
        TransactionalPublisher? previous;
        TransactionalPublisher publisher;
        lock (_lock)
        {
            if (_disposed)
            {
                ThrowHelper.ObjectDisposed(nameof(TransactionCoordinator));
            }

            int epoch = _epochs.TryGetValue(transactionalId, out int last) ? last + 1 : 0;
            _epochs[transactionalId] = epoch;
            publisher = new TransactionalPublisher(this, transactionalId, epoch, timeout);
            _current.TryGetValue(transactionalId, out previous);
            _current[transactionalId] = publisher;
            _live.Add(publisher);
            if (previous is not null)
            {
                _live.Remove(previous);
            }

            // The check runs every quarter of the shortest time-out (the first publisher sets it afresh); the loop reads the
            // tick under this lock before each wait.
            TimeSpan tick = Clamp(timeout / 4);
            if (tick < _tick || _live.Count == 1)
            {
                _tick = tick;
            }
        }

        // Outside the lock: the fence takes the old publisher's completion lock (held briefly by a commit's or abort's end).
        // A commit already decided completes, then the old publisher ends fenced.
        previous?.AbortFromOutside($"a newer instance of '{transactionalId}' was created (epoch {publisher.Epoch})", fence: true);
        return publisher;
    }

    /// <summary>The epoch of the current instance of <paramref name="transactionalId"/>, or -1 when none was created.</summary>
    /// <param name="transactionalId">The transactional id.</param>
    /// <returns>The epoch.</returns>
    public int GetEpoch(string transactionalId)
    {
        lock (_lock)
        {
            return _epochs.TryGetValue(transactionalId, out int epoch) ? epoch : -1;
        }
    }

    /// <summary>Stops the time-out checks and fences every live publisher (their open transactions are aborted). Idempotent.</summary>
    public void Dispose()
    {
        TransactionalPublisher[] live;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            live = [.. _live];
            _live.Clear();
            _current.Clear();
        }

        _stop.Set();
        foreach (TransactionalPublisher publisher in live)
        {
            publisher.AbortFromOutside("its transaction coordinator was disposed", fence: true);
        }
    }

    /// <summary>Forgets a disposed publisher.</summary>
    internal void Retire(TransactionalPublisher publisher)
    {
        lock (_lock)
        {
            _live.Remove(publisher);
            if (_current.TryGetValue(publisher.TransactionalId, out TransactionalPublisher? current) && ReferenceEquals(current, publisher))
            {
                _current.Remove(publisher.TransactionalId);
            }
        }
    }

    /// <summary>The check thread: a tick, then the check, until the coordinator is disposed.</summary>
    private void CheckLoop()
    {
        while (true)
        {
            TimeSpan tick;
            lock (_lock)
            {
                tick = _tick;
            }

            if (_stop.Wait(tick))
            {
                _stop.Dispose();
                return;
            }

            AbortExpired();
        }
    }

    /// <summary>One tick: aborts every transaction open longer than its publisher's time-out.</summary>
    private void AbortExpired()
    {
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            // Under the lock, so no publisher list is copied per tick; an abort takes only the publisher's own lock.
            foreach (TransactionalPublisher publisher in _live)
            {
                // Acquire: the state word, then the start time the owner wrote before its Begin's CAS. A start time newer
                // than the word's transaction means a new one began: its word differs, and the CAS below does nothing.
                long word = publisher.StateWord;
                if ((TransactionState)(word & 0xFF) != TransactionState.Open)
                {
                    continue;
                }

                long openedAt = publisher.OpenedAt;
                if (openedAt != 0 && Stopwatch.GetElapsedTime(openedAt, now) > publisher.TransactionTimeout)
                {
                    publisher.AbortFromOutside(
                        $"it was open longer than its time-out {publisher.TransactionTimeout} (a hung publisher must not hold the last stable offset)",
                        fence: false,
                        expectedWord: word);
                }
            }
        }
    }

    private static TimeSpan Clamp(TimeSpan tick) => tick < MinTick ? MinTick : tick > MaxTick ? MaxTick : tick;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckTimeout(TimeSpan timeout, string name)
    {
        if (timeout < TimeSpan.FromMilliseconds(1) || timeout > TimeSpan.FromMilliseconds(int.MaxValue))
        {
            ThrowHelper.ArgumentOutOfRange(name, $"must be from 1 ms to {TimeSpan.FromMilliseconds(int.MaxValue)}", timeout);
        }
    }
}
