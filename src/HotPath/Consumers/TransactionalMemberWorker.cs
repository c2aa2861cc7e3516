using HotPath.Transactions;

namespace HotPath.Consumers;

/// <summary>
/// A member worker that runs each batch of an <see cref="ITransactionalHandler{T}"/> inside a transaction of its own
/// publisher, and commits the batch's input offsets in that transaction (consume-transform-produce, KIP-447).
/// </summary>
/// <remarks>
/// <para><b>A batch</b>: begin; hand out up to the batch limit; add the position as the partition's offset; commit. The
/// commit refuses (and aborts) when the group fenced this member's cursor meanwhile, so a member that lost the partition
/// commits neither outputs nor offsets, and its successor resumes from the last committed offset.</para>
/// <para><b>A handler exception</b> at event <c>k</c> of a batch that started at <c>s</c>: the transaction aborts and the
/// position goes back to <c>s</c>. When <c>k &gt; s</c>, the next batch stops before <c>k</c> (its outputs commit), and
/// <c>k</c> is then first in its batch; when it fails there, the exception reaches the member's loop with the position
/// at <c>k</c>, where the error policy decides, as for any member. Handler calls of aborted attempts are not counted in
/// <see cref="PartitionStats.Handled"/>.</para>
/// <para><b>A member declared failed</b> or faulted (<see cref="OnStopping"/>, any thread): its publisher is fenced, which
/// aborts the open transaction at once, so the partition's last stable offset does not wait for the hung handler. The
/// thread's end disposes the publisher.</para>
/// <para>Thread-safety: see <see cref="MemberWorker{T}"/>.</para>
/// </remarks>
internal sealed class TransactionalMemberWorker<T, THandler> : MemberWorker<T>
    where T : struct
    where THandler : ITransactionalHandler<T>
{
    private readonly TransactionalPublisher _publisher;
    private Adapter _adapter;
    private long _stopBefore = -1;

    public TransactionalMemberWorker(
        ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler, TransactionalPublisher publisher)
        : base(group, memberId, groupInstanceId, core)
    {
        _publisher = publisher;
        publisher.DriveByMember($"member '{memberId}' of group '{group.GroupId}'");
        _adapter = new Adapter(handler, publisher);
    }

    /// <summary>The member's publisher (for tests and diagnostics).</summary>
    internal TransactionalPublisher Publisher => _publisher;

    protected override int Dispatch(ReadCursor<T> cursor, int max)
    {
        long start = cursor.Position;
        // Nothing to hand out, or the publisher was fenced (the loop drops the partitions once it sees the fence): no
        // transaction.
        if (cursor.Available() < start || _publisher.State == TransactionState.Fenced)
        {
            return 0;
        }

        if (_stopBefore > start)
        {
            max = (int)Math.Min(max, _stopBefore - start);
        }

        _stopBefore = -1;
        _publisher.BeginCore();
        int count;
        try
        {
            count = cursor.Dispatch(ref _adapter, max);
        }
        catch (Exception) when (OnHandlerException(cursor, start))
        {
            // Isolated: the events before the failing one are handed out again in a transaction of their own.
            return 0;
        }

        if (count == 0)
        {
            _publisher.AbortCore();
            return 0;
        }

        _publisher.AddOffset(cursor, cursor.Position);
        if (!_publisher.TryCommitCore())
        {
            // Aborted (time-out) or refused (fenced): nothing of the batch took effect. Acknowledge, and hand it out again
            // (a fenced member's loop drops the partition first).
            _publisher.AbortCore();
            cursor.Rewind(start);
            return 0;
        }

        return count;
    }

    /// <summary>
    /// The member stops: declared failed or faulted, its publisher is fenced (its open transaction aborted); a member asked
    /// to stop in good health finishes its batch and commits it.
    /// </summary>
    protected override void OnStopping()
    {
        MemberState state = State;
        if (state is MemberState.Failed or MemberState.Faulted)
        {
            _publisher.AbortFromOutside($"member '{MemberId}' of group '{Group.GroupId}' was declared {state}", fence: true);
        }
    }

    protected override void OnThreadEnded()
    {
        // The member's own thread: an open transaction (the member crashed mid-batch) is aborted, the id retired.
        _publisher.Dispose();
    }

    /// <summary>
    /// After a handler exception: aborts, rewinds to <paramref name="start"/>. True (swallow) when the failing event was not
    /// the first of the batch (the batch is split) or the member was fenced; false lets the exception reach the loop's error
    /// policy with the position at the failing event.
    /// </summary>
    private bool OnHandlerException(ReadCursor<T> cursor, long start)
    {
        long failedAt = cursor.Position;
        _publisher.AbortCore();
        if (cursor.IsFenced || _publisher.State == TransactionState.Fenced)
        {
            return true;
        }

        if (failedAt > start)
        {
            cursor.Rewind(start);
            _stopBefore = failedAt;
            return true;
        }

        return false;
    }

    /// <summary>Calls the handler with the member's publisher.</summary>
    private struct Adapter(THandler handler, TransactionalPublisher publisher) : IEventHandler<T>
    {
        private THandler _handler = handler;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch) =>
            _handler.OnEvent(in @event, partition, offset, endOfBatch, publisher);
    }
}
