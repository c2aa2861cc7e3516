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
/// position goes back to <c>s</c>. When <c>k &gt; s</c>, the partition's next batch stops before <c>k</c> (its outputs
/// commit; the cut is kept per partition), and <c>k</c> is then first in its batch; when it fails there, the exception
/// reaches the member's loop with the position at <c>k</c>, where the error policy decides, as for any member. Handler
/// calls of aborted attempts are not counted in <see cref="PartitionStats.Handled"/>.</para>
/// <para><b>The transaction ends under the member</b>: a time-out abort hands the batch out again; a fence of the
/// publisher (a newer instance of its transactional id, the coordinator disposed) faults the member, whose partitions
/// move. Nothing is ever committed outside a transaction: every way out of a batch that did not commit leaves the position
/// at the committed offset, so the revocation that follows commits nothing.</para>
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
    private readonly Dictionary<ReadCursor<T>, long> _splits = [];
    private Adapter _adapter;

    public TransactionalMemberWorker(
        ConsumerGroup<T> group, string memberId, string? groupInstanceId, int? core, THandler handler, TransactionalPublisher publisher)
        : base(group, memberId, groupInstanceId, core)
    {
        _publisher = publisher;
        publisher.DriveByMember($"member '{memberId}' of group '{group.GroupId}'");
        _adapter = new Adapter(handler, publisher);
    }

    /// <inheritdoc/>
    public override bool CommitsInTransactions => true;

    /// <summary>The member's publisher (for tests and diagnostics).</summary>
    internal TransactionalPublisher Publisher => _publisher;

    /// <summary>
    /// One batch in one transaction. Every way out leaves the position at the committed offset unless the transaction
    /// committed (so nothing is ever committed outside a transaction, also when the partition is revoked next), except
    /// a handler exception at the first event of the batch, which reaches the loop's error policy with the position there.
    /// </summary>
    protected override int Dispatch(ReadCursor<T> cursor, int max)
    {
        long start = cursor.Position;
        if (cursor.Available() < start)
        {
            return 0;
        }

        if (HoldForFailureAhead(cursor))
        {
            return 0;
        }

        if (_splits.Count != 0 && _splits.TryGetValue(cursor, out long splitAt))
        {
            _splits.Remove(cursor);
            if (splitAt > start)
            {
                max = (int)Math.Min(max, splitAt - start);
            }
        }

        try
        {
            _publisher.BeginCore();
        }
        catch (TransactionException ex)
        {
            OnTransactionEnded(ex);
            return 0;
        }

        int count;
        try
        {
            count = ProcessSpans.IsListening ? ProcessSpans.Dispatch(cursor, ref _adapter, max, GroupIdOfMember) : cursor.Dispatch(ref _adapter, max);
        }
        catch (Exception ex)
        {
            long failedAt = cursor.Position;
            AbortQuietly();
            cursor.Rewind(start);
            if (ex is TransactionAbortedException or ProducerFencedException)
            {
                // The transaction ended under the handler (the coordinator's time-out, a fence): not the handler's error.
                OnTransactionEnded(ex);
                return 0;
            }

            if (cursor.IsFenced)
            {
                return 0;
            }

            if (failedAt > start)
            {
                // Isolate the failing event: the events before it go again in a transaction of their own. The failure is
                // counted and reported now; the policy decides when the event comes up first (HoldForFailureAhead).
                _splits[cursor] = failedAt;
                RecordFailureAhead(cursor, failedAt, ex);
                return 0;
            }

            // The failing event is first in its batch: the loop's error policy decides (the position is at it).
            throw;
        }

        if (count == 0)
        {
            AbortQuietly();
            return 0;
        }

        bool committed;
        try
        {
            _publisher.AddOffset(cursor, OwnedPartitionOf(cursor), this, cursor.Position);
            committed = _publisher.TryCommitCore();
        }
        catch (TransactionException ex)
        {
            committed = false;
            OnTransactionEnded(ex);
        }

        if (!committed)
        {
            // Aborted (the coordinator's time-out) or refused (fenced): nothing of the batch took effect. Acknowledge, and
            // hand it out again (a fenced member's loop drops the partition first).
            AbortQuietly();
            cursor.Rewind(start);
            if (_publisher.State == TransactionState.Fenced)
            {
                OnTransactionEnded(null);
            }

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

    /// <summary>Aborts the open transaction (or acknowledges the coordinator's abort); a fenced publisher has nothing to abort.</summary>
    private void AbortQuietly()
    {
        try
        {
            _publisher.AbortCore();
        }
        catch (TransactionException)
        {
            // Used from this thread only: cannot happen; a fence was already handled by AbortCore's false.
        }
    }

    /// <summary>
    /// The publisher can no longer commit: fenced by a newer instance of its transactional id or by its coordinator's
    /// disposal while the member runs. The member faults (its partitions move to the others, which resume at the
    /// committed offset); a member already declared failed just stops. A time-out abort only costs a retry.
    /// </summary>
    private void OnTransactionEnded(Exception? ex)
    {
        if (_publisher.State is TransactionState.Fenced or TransactionState.Closed && State == MemberState.Running)
        {
            OnHandlerFault(ex ?? new ProducerFencedException(_publisher.TransactionalId, _publisher.Epoch, "fenced while its member runs"));
        }
    }

    /// <summary>Calls the handler with the member's publisher.</summary>
    private struct Adapter(THandler handler, TransactionalPublisher publisher) : IEventHandler<T>
    {
        private THandler _handler = handler;

        public void OnEvent(ref readonly T @event, int partition, long offset, bool endOfBatch) =>
            _handler.OnEvent(in @event, partition, offset, endOfBatch, publisher);
    }
}
