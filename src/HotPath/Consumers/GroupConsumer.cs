using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Groups;
using HotPath.Internal;

namespace HotPath.Consumers;

/// <summary>
/// A pull consumer: a member of a consumer group that the caller polls, with <c>Consume</c> (Confluent.Kafka style)
/// or <c>await foreach</c> over <see cref="ConsumeAllAsync"/>. It owns partitions like any member, takes part in
/// rebalances and commits what it consumed. Obtained from <see cref="ConsumerGroup{T}.JoinConsumer"/>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>
/// <para><b>Events are copied.</b> The consumer's own fetch thread (a group member's thread) copies the events of the
/// partitions it owns into a bounded buffer of up to <c>prefetch</c> events, and each <c>Consume</c> returns one copy
/// (<see cref="ConsumeResult{T}.Event"/>): two copies of <typeparamref name="T"/> per event, and a lock per call. The push
/// handlers of <c>Join</c> and <c>JoinBatch</c> read the ring's slots by reference: they are the zero-copy path. A
/// synchronous <c>Consume</c> that finds an event allocates nothing.</para>
/// <para><b>Consumed and committed.</b> An event counts as consumed once a <c>Consume</c> call returned it. Per partition,
/// events come in offset order. With <see cref="CommitMode.AfterBatch"/> (auto-commit) each call first commits what the
/// calls before it returned (as Kafka's auto-commit commits what earlier polls returned), and a revocation, a
/// <see cref="Dispose"/> or the end of a drained group commits everything consumed. With <see cref="CommitMode.Manual"/>
/// only <see cref="Commit()"/> and <see cref="Commit(in ConsumeResult{T})"/> commit; what was consumed but not committed
/// when a partition leaves the consumer is handed out again by its next owner.</para>
/// <para><b>Rebalances</b> run on the fetch thread, whether or not the user is inside <c>Consume</c>: a partition that
/// leaves drops the copies the user has not consumed (its next owner reads them again from the committed offset), so
/// nothing is lost and, in good order, nothing is handed out twice. The group's <see cref="ConsumerGroupOptions.RebalanceListener"/>
/// is called on the fetch thread. The group's <see cref="ConsumerGroupOptions.ErrorPolicy"/> does not apply: there is no
/// handler to retry, the caller handles its own errors (and what it did not commit comes again after a failure).</para>
/// <para><b>Failure.</b> A consumer whose caller does not call <c>Consume</c> (nor wait in one) for
/// <see cref="ConsumerGroupOptions.MaxPollInterval"/> is declared failed, as in Kafka: it is fenced, its partitions move to
/// the other members (which resume from the committed offset: what it consumed but had not committed is handed out again,
/// the at-least-once window of a failure), <see cref="ConsumerGroupOptions.OnMemberFailed"/> hears of it, and its next
/// <c>Consume</c> or <c>Commit</c> throws <see cref="InvalidOperationException"/>. Join a new consumer to take part again.</para>
/// <para><b>Group options.</b> Lossy groups (the copy comes from the lossy reader's private copy; lost offsets are skipped),
/// read-committed isolation (only committed transactional events), <see cref="ConsumerGroupOptions.ReadJournaledOnly"/>,
/// seeks (<see cref="ConsumerGroup{T}.Seek"/>: the copies from before the seek are dropped) and static membership all
/// apply as for push members.</para>
/// <para><b>Statistics.</b> The group's per-partition <c>Handled</c> count (<see cref="ConsumerGroup{T}.GetStats"/>) counts an
/// event when the fetch thread copied it; a copy dropped at a revocation is counted again by the partition's next owner.</para>
/// <para>Thread-safety: every member is safe from any thread. Calls from several threads each get distinct events; per
/// partition order holds for the order of the calls, so consume from one thread at a time (as with any Kafka consumer)
/// to handle a partition's events in order.</para>
/// </remarks>
public sealed class GroupConsumer<T> : IDisposable, IAsyncDisposable
    where T : struct
{
    /// <summary>The default number of events the fetch thread copies ahead of the consumer's calls.</summary>
    public const int DefaultPrefetch = 256;

    /// <summary>The largest prefetch accepted.</summary>
    public const int MaxPrefetch = 1 << 20;

    private readonly GroupMember<T> _member;
    private readonly PullMemberWorker<T> _worker;
    private readonly PullHandoff<T> _handoff;
    private readonly string _groupId;
    private int _disposed;

    internal GroupConsumer(GroupMember<T> member, string groupId)
    {
        _member = member;
        _groupId = groupId;
        _worker = (PullMemberWorker<T>)member.Worker;
        _handoff = _worker.Handoff;
    }

    /// <summary>The member id, unique in the group.</summary>
    public string MemberId => _member.MemberId;

    /// <summary>The static member id (Kafka's <c>group.instance.id</c>), or null.</summary>
    public string? GroupInstanceId => _member.GroupInstanceId;

    /// <summary>The partitions this consumer owns now. A snapshot.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _member.Assignment;

    /// <summary>Running; Failed once declared failed (fenced); Faulted (its journal read failed); Stopped once it left.</summary>
    public MemberState State => _member.State;

    /// <summary>
    /// Returns the next event, waiting up to <paramref name="timeout"/> for one; null when none came in time
    /// (<see cref="TimeSpan.Zero"/> polls without waiting). With <see cref="CommitMode.AfterBatch"/> it first commits what
    /// earlier calls returned. A call that times out takes nothing.
    /// </summary>
    /// <param name="timeout">From zero to <c>int.MaxValue</c> ms, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <returns>The event (a copy) with its topic, partition and offset, or null.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or too long.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">The consumer ended: declared failed or faulted (the message says why), or
    /// its group drained or was disposed.</exception>
    public ConsumeResult<T>? Consume(TimeSpan timeout)
    {
        if ((timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan) || timeout > ConsumerGroupOptions.MaxTimeout)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(timeout), $"must be from 0 to {ConsumerGroupOptions.MaxTimeout}, or Timeout.InfiniteTimeSpan", timeout);
        }

        ThrowIfDisposed();
        PullHandoff<T>.TakeStatus status = _handoff.Poll(out ConsumeResult<T> result);
        if (status == PullHandoff<T>.TakeStatus.Empty && timeout != TimeSpan.Zero)
        {
            status = _handoff.Wait(timeout, CancellationToken.None, out result);
        }

        if (status == PullHandoff<T>.TakeStatus.Ended)
        {
            ThrowEnded();
        }

        return status == PullHandoff<T>.TakeStatus.Taken ? result : null;
    }

    /// <summary>
    /// Returns the next event, waiting as long as it takes. With <see cref="CommitMode.AfterBatch"/> it first commits what
    /// earlier calls returned. A call cancelled while it waits takes nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (then <see cref="OperationCanceledException"/>).</param>
    /// <returns>The event (a copy) with its topic, partition and offset.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: nothing was taken
    /// (a call cancelled before it started commits nothing either).</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">The consumer ended (see <see cref="Consume(TimeSpan)"/>).</exception>
    public ConsumeResult<T> Consume(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        PullHandoff<T>.TakeStatus status = _handoff.Poll(out ConsumeResult<T> result);
        if (status == PullHandoff<T>.TakeStatus.Empty)
        {
            status = _handoff.Wait(Timeout.InfiniteTimeSpan, cancellationToken, out result);
        }

        if (status != PullHandoff<T>.TakeStatus.Taken)
        {
            ThrowEnded();
        }

        return result;
    }

    /// <summary>
    /// Returns the next event asynchronously; completes synchronously, without allocating, when one is there. With
    /// <see cref="CommitMode.AfterBatch"/> it first commits what earlier calls returned. A call cancelled while it waits
    /// takes nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event (a copy) with its topic, partition and offset.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: nothing was taken.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">The consumer ended (see <see cref="Consume(TimeSpan)"/>).</exception>
    public ValueTask<ConsumeResult<T>> ConsumeAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ConsumeResult<T>>(cancellationToken);
        }

        ThrowIfDisposed();
        PullHandoff<T>.TakeStatus status = _handoff.Poll(out ConsumeResult<T> result);
        return status switch
        {
            PullHandoff<T>.TakeStatus.Taken => new ValueTask<ConsumeResult<T>>(result),
            PullHandoff<T>.TakeStatus.Ended => ValueTask.FromException<ConsumeResult<T>>(EndedException()),
            _ => new ValueTask<ConsumeResult<T>>(ConsumeSlowAsync(cancellationToken)),
        };
    }

    /// <summary>
    /// The events as they come, for <c>await foreach</c>; each step is a <see cref="ConsumeAsync"/> call (with its
    /// auto-commit). Ends when the consumer leaves the group in good order (it was disposed, or its group drained or was
    /// disposed); throws when it was declared failed or faulted.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the next event (also passed by <c>WithCancellation</c>).</param>
    /// <returns>The events, in order per partition.</returns>
    /// <exception cref="OperationCanceledException">Cancelled: the event being waited for was not taken.</exception>
    /// <exception cref="InvalidOperationException">The consumer was declared failed or faulted.</exception>
    public async IAsyncEnumerable<ConsumeResult<T>> ConsumeAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Volatile.Read(ref _disposed) != 0)
            {
                yield break;
            }

            PullHandoff<T>.TakeStatus status = _handoff.Poll(out ConsumeResult<T> result);
            while (status == PullHandoff<T>.TakeStatus.Empty)
            {
                (status, result) = await WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (status == PullHandoff<T>.TakeStatus.Ended)
            {
                // A failure sets the state before it ends the hand-off (MarkFailed, OnHandlerFault); any other end is a stop in
                // good order, also while the fetch thread has not exited yet (its state still Running).
                if (State is not (MemberState.Failed or MemberState.Faulted))
                {
                    yield break;
                }

                ThrowEnded();
            }

            yield return result;
        }
    }

    /// <summary>
    /// Commits what this consumer consumed on every partition it holds (the next offset after the last event a call
    /// returned, past the gaps and aborted offsets stepped over after it). Synchronous; never moves an offset back.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">The consumer was declared failed (fenced): nothing was committed on the
    /// partitions it lost.</exception>
    public void Commit()
    {
        ThrowIfDisposed();
        ThrowIfFailed();
        _handoff.CommitConsumed();
    }

    /// <summary>
    /// Commits <paramref name="result"/>'s partition up to and including it (the next offset to read is its offset + 1).
    /// Synchronous; never moves an offset back.
    /// </summary>
    /// <param name="result">A result this consumer returned.</param>
    /// <exception cref="ArgumentException"><paramref name="result"/> is the default value or another consumer's.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">The partition left this consumer since it returned the result (revoked,
    /// lost or sought: its owner resumes from the committed offset and hands out again what was not committed), or the
    /// consumer was declared failed (fenced). Nothing was committed.</exception>
    public void Commit(in ConsumeResult<T> result)
    {
        ThrowIfDisposed();
        ThrowIfFailed();
        _handoff.Commit(in result);
    }

    /// <summary>
    /// Leaves the group: its partitions are revoked, which commits what it consumed with <see cref="CommitMode.AfterBatch"/>
    /// (with <see cref="CommitMode.Manual"/>, what was not committed is handed out again by the next owners), the copies it
    /// did not consume are dropped, and its fetch thread ends. Blocks until the group rebalanced (see
    /// <see cref="GroupMember{T}.Leave"/>). Waiting calls end with <see cref="ObjectDisposedException"/>. Idempotent.
    /// </summary>
    public void Dispose()
    {
        // Full fence (exchange): a call that reads the flag afterwards (acquire in ThrowIfDisposed) reports the disposal.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _member.Leave();
        }
        finally
        {
            // Also when the member had already ended (failed, or its group drained): waiting calls wake and end.
            _handoff.End();
        }
    }

    /// <summary>
    /// <see cref="Dispose"/> on a pool thread: the leave is a synchronous rebalance that waits for the fetch thread, which
    /// an asynchronous caller should not block on.
    /// </summary>
    /// <returns>Completes once the consumer left the group.</returns>
    public ValueTask DisposeAsync() =>
        // Acquire: pairs with the exchange in Dispose; a consumer already disposed needs no pool thread.
        Volatile.Read(ref _disposed) != 0 ? ValueTask.CompletedTask : new ValueTask(Task.Run(Dispose));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public override string ToString() => $"{MemberId} ({State})";

    /// <summary>The group member behind this consumer (for test hooks such as <c>ConsumerGroup.TestFence</c>).</summary>
    internal GroupMember<T> Member => _member;

    private async Task<ConsumeResult<T>> ConsumeSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            (PullHandoff<T>.TakeStatus status, ConsumeResult<T> result) = await WaitAsync(cancellationToken).ConfigureAwait(false);
            if (status == PullHandoff<T>.TakeStatus.Taken)
            {
                return result;
            }

            if (status == PullHandoff<T>.TakeStatus.Ended)
            {
                ThrowEnded();
            }
        }
    }

    /// <summary>
    /// Takes a copy if one is there, else waits for the fetch thread's next publish (or the end) and returns Empty: the
    /// caller takes again. Cancellation throws and takes nothing.
    /// </summary>
    private async ValueTask<(PullHandoff<T>.TakeStatus Status, ConsumeResult<T> Result)> WaitAsync(CancellationToken cancellationToken)
    {
        PullHandoff<T>.TakeStatus status = _handoff.TakeOrWatch(out ConsumeResult<T> result, out Task? signal);
        if (signal is null)
        {
            return (status, result);
        }

        try
        {
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _handoff.EndWatch();
        }

        return (PullHandoff<T>.TakeStatus.Empty, default);
    }

    private void ThrowIfDisposed()
    {
        // Acquire: pairs with the exchange in Dispose.
        if (Volatile.Read(ref _disposed) != 0)
        {
            ThrowHelper.ObjectDisposed($"consumer '{MemberId}'");
        }
    }

    /// <summary>A consumer declared failed or faulted commits nothing: it lost its partitions without the chance to.</summary>
    private void ThrowIfFailed()
    {
        if (State is MemberState.Failed or MemberState.Faulted)
        {
            ThrowEnded();
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowEnded() => throw EndedException();

    /// <summary>Why the consumer ended: disposed, declared failed, faulted, or it left (its group drained or was disposed).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Exception EndedException()
    {
        // Acquire: pairs with the exchange in Dispose.
        if (Volatile.Read(ref _disposed) != 0)
        {
            return new ObjectDisposedException($"consumer '{MemberId}'", $"consumer '{MemberId}' has been disposed: it left the group");
        }

        string group = _groupId;
        return State switch
        {
            MemberState.Failed => new InvalidOperationException(
                $"consumer '{MemberId}' of group '{group}' was declared failed (fenced) and left the group: {_worker.Overdue?.Message ?? "it missed a rebalance or session deadline"}; its partitions moved to the other members, which resume from the committed offsets: join a new consumer",
                _worker.Overdue),
            MemberState.Faulted => new InvalidOperationException(
                $"consumer '{MemberId}' of group '{group}' faulted and left the group: {_worker.Fault?.Message}", _worker.Fault),
            _ => new InvalidOperationException(
                $"consumer '{MemberId}' of group '{group}' has left the group (the group drained or was disposed): nothing more will come"),
        };
    }
}
