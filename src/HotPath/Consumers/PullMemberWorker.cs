namespace HotPath.Consumers;

/// <summary>
/// The fetch thread of a pull consumer (<see cref="GroupConsumer{T}"/>): a group member like any other (it owns
/// partitions, takes part in rebalances on its own thread, is fenced when declared failed) whose "handler" copies the
/// events into the consumer's bounded hand-off (<see cref="PullHandoff{T}"/>), from which the user's <c>Consume</c> calls
/// take them.
/// </summary>
/// <remarks>
/// <para><b>Why a thread.</b> A rebalance waits for every member it moves partitions of (up to the rebalance time-out):
/// with its own thread, a pull consumer answers at once however rarely its user calls <c>Consume</c>, so a slow user
/// never holds up the group's rebalances. What it copied but the user did not consume is dropped when the partition
/// leaves (<see cref="WithdrawHandedOut"/>); only what the user consumed is committed, so the next owner resumes at the
/// first event the user did not get: nothing lost, nothing handed twice in good order.</para>
/// <para><b>Poll interval.</b> The user, not this thread, is the consumer's poller: the session watchdog declares the
/// consumer failed when no <c>Consume</c> call started and none waited for <see cref="ConsumerGroupOptions.MaxPollInterval"/>
/// (<see cref="PollOverdue"/>), as Kafka's <c>max.poll.interval.ms</c> does; the clock starts at the join.</para>
/// <para><b>Commits.</b> The loop never commits after a batch (<see cref="CommitsAfterBatch"/> is false); the hand-off
/// commits what was consumed (see there), and a revocation in good order commits it with
/// <see cref="CommitMode.AfterBatch"/>.</para>
/// <para>Thread-safety: see <see cref="MemberWorker{T}"/>; <see cref="PollOverdue"/> under the group's rebalance lock.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class PullMemberWorker<T> : MemberWorker<T>
    where T : struct
{
    private readonly PullHandoff<T> _handoff;

    // The watchdog's record of the poll signal (under the group's rebalance lock): the call count last seen, and since when.
    private long _callsSeen;
    private long _callsSeenSince = Environment.TickCount64;
    private Exception? _overdue;

    public PullMemberWorker(ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, int prefetch)
        : base(group, memberId, groupInstanceId, core) =>
        _handoff = new PullHandoff<T>(prefetch, group.Options.CommitMode == CommitMode.AfterBatch, memberId, Wake, group.OnPartitionDrained);

    /// <summary>The consumer's hand-off.</summary>
    public PullHandoff<T> Handoff => _handoff;

    /// <summary>Why the watchdog declared the consumer failed for not polling, or null. Any thread.</summary>
    public Exception? Overdue =>
        // Acquire: pairs with the release in PollOverdue, so the reader sees the whole exception.
        Volatile.Read(ref _overdue);

    /// <inheritdoc/>
    protected override bool CommitsAfterBatch => false;

    /// <inheritdoc/>
    protected override bool CanTakeEvents => _handoff.Free > 0;

    /// <inheritdoc/>
    public override Exception? PollOverdue(TimeSpan maxPollInterval)
    {
        long now = Environment.TickCount64;
        long calls = _handoff.Calls;
        if (_handoff.IsWaiting || calls != _callsSeen)
        {
            _callsSeen = calls;
            _callsSeenSince = now;
            return null;
        }

        if (now - _callsSeenSince < (long)maxPollInterval.TotalMilliseconds)
        {
            return null;
        }

        var reason = new TimeoutException(
            $"consumer '{MemberId}' was not polled for MaxPollInterval ({maxPollInterval}): no Consume call started or waited meanwhile; call Consume more often or raise MaxPollInterval");
        // Release: the consuming thread's acquire in Overdue sees the whole exception.
        Volatile.Write(ref _overdue, reason);
        return reason;
    }

    /// <inheritdoc/>
    protected override int Dispatch(ReadCursor<T> cursor, int max)
    {
        int free = _handoff.Free;
        if (free == 0)
        {
            return 0;
        }

        return _handoff.Fill(_handoff.StateOf(OwnedPartitionOf(cursor), cursor), Math.Min(max, free));
    }

    /// <inheritdoc/>
    protected override long WithdrawHandedOut(GroupPartition<T> partition, ReadCursor<T> cursor) => _handoff.Withdraw(cursor);

    /// <inheritdoc/>
    protected override void SeekOwned(GroupPartition<T> partition, ReadCursor<T> cursor, long offset) => _handoff.Seek(cursor, offset);

    /// <summary>The consumer stops (left, declared failed, faulted, group drained or disposed): its waiting calls wake and end.</summary>
    protected override void OnStopping() => _handoff.End();

    /// <inheritdoc/>
    protected override void OnThreadEnded() => _handoff.End();
}
