using HotPath.Groups;

namespace HotPath.Consumers;

/// <summary>
/// The worker thread's side of the coordinator's requests, applied between batches: assignments (revoke and commit,
/// then take), seeks, and partitions dropped after a fence.
/// </summary>
internal abstract partial class MemberWorker<T>
{
    /// <summary>Applies the latest assignment request and pending seeks; returns true when the worker should exit.</summary>
    private bool ApplyControl()
    {
        GroupPartition<T>[] target;
        int version;
        bool stop;
        PendingSeek<T>[] seeks;
        lock (_control)
        {
            target = _requested;
            version = _requestedVersion;
            stop = _stopRequested;
            seeks = [.. _pendingSeeks];
            _pendingSeeks.Clear();
        }

        ApplyAssignment(target);
        foreach (PendingSeek<T> seek in seeks)
        {
            ApplySeek(seek);
        }

        _appliedLocal = version;
        lock (_control)
        {
            _appliedVersion = version;
            Monitor.PulseAll(_control);
        }

        if (!_failures.IsEmpty)
        {
            // A request that cut a retry backoff short: wait the rest now (here, off the dispatch path), unless another
            // request arrives meanwhile; the next call resumes it then.
            foreach (ReadCursor<T> cursor in _cursors)
            {
                if (WaitOutBackoff(cursor))
                {
                    break;
                }
            }
        }

        return stop && _owned.Length == 0;
    }

    private void ApplyAssignment(GroupPartition<T>[] target)
    {
        bool autoCommit = _options.CommitMode == CommitMode.AfterBatch;
        List<TopicPartition>? revoked = null;
        List<TopicPartition>? lost = null;
        var keptOwned = new List<GroupPartition<T>>();
        var keptCursors = new List<ReadCursor<T>>();
        for (int i = 0; i < _owned.Length; i++)
        {
            GroupPartition<T> partition = _owned[i];
            ReadCursor<T> cursor = _cursors[i];
            if (Array.IndexOf(target, partition) >= 0 && ReferenceEquals(partition.Cursor, cursor))
            {
                keptOwned.Add(partition);
                keptCursors.Add(cursor);
                continue;
            }

            // A member declared failed, or whose cursor was replaced (fenced), lost the partition without the chance to
            // commit (Kafka's onPartitionsLost); the others give it up in good order (revoked).
            bool fenced = State == MemberState.Failed || !ReferenceEquals(partition.Cursor, cursor) || cursor.IsFenced;
            long handled = WithdrawHandedOut(partition, cursor);
            if (!fenced && autoCommit)
            {
                // Commit what this member handled before the partition moves: the next owner resumes there. A fence
                // that came after the checks above makes the commit fail: then the partition was lost.
                fenced = !cursor.TryCommit(handled);
            }

            partition.Partition.RemoveReaderParker(_parker);
            ReleaseContext(cursor);
            partition.ReleaseOwnership(this, cursor);
            _failures.Forget(cursor);
            if (fenced)
            {
                (lost ??= []).Add(partition.Id);
            }
            else
            {
                (revoked ??= []).Add(partition.Id);
            }
        }

        if (lost is not null)
        {
            _options.RebalanceListener?.OnPartitionsLost(MemberId, lost);
        }

        if (revoked is not null)
        {
            _options.RebalanceListener?.OnPartitionsRevoked(MemberId, revoked);
        }

        List<TopicPartition>? assigned = null;
        if (State == MemberState.Running)
        {
            foreach (GroupPartition<T> partition in target)
            {
                if (keptOwned.Contains(partition))
                {
                    continue;
                }

                if (!partition.TryTakeOwnership(this))
                {
                    Internal.ThrowHelper.InvalidOperation(
                        $"partition {partition.Id} was assigned to member '{MemberId}' while member '{partition.Owner?.MemberId}' still owns it");
                }

                // Full fence (the CAS above) before this read; pairs with MarkFailed's CAS before the coordinator's
                // Fence reads the owner: either the coordinator fences us, or we see that we were declared failed.
                if (State == MemberState.Failed)
                {
                    partition.ReleaseOwnership(this, partition.Cursor);
                    break;
                }

                ReadCursor<T> cursor = partition.Cursor;
                // The new owner resumes from the committed offset (acquire inside ResetToCommitted).
                cursor.ResetToCommitted();
                if (_options.WaitStrategy.ParksThread)
                {
                    partition.Partition.AddReaderParker(_parker);
                }

                keptOwned.Add(partition);
                keptCursors.Add(cursor);
                (assigned ??= []).Add(partition.Id);
            }
        }

        _owned = [.. keptOwned];
        _cursors = [.. keptCursors];
        if (assigned is not null)
        {
            _options.RebalanceListener?.OnPartitionsAssigned(MemberId, assigned);
        }
    }

    private void ApplySeek(PendingSeek<T> seek)
    {
        if (!seek.TryClaim())
        {
            // Withdrawn: its caller timed out and was told so; applying it now would move the group silently.
            return;
        }

        Exception? error = null;
        try
        {
            int index = Array.IndexOf(_owned, seek.Partition);
            if (index < 0)
            {
                Internal.ThrowHelper.InvalidOperation($"member '{MemberId}' no longer owns {seek.Partition.Id}: seek again");
            }

            SeekOwned(_owned[index], _cursors[index], seek.Offset);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        seek.Complete(_control, error);
    }

    /// <summary>
    /// Before the handler gets the event at the cursor's position, for a failure recorded ahead there (see
    /// <see cref="HandlerFailures{T}.RecordAhead"/>): rethrows its exception when its attempts are used up (the loop's
    /// error policy then applies the final action without calling the handler), or waits out its backoff; true when a
    /// control request or a state change cut that wait short (hand nothing out now).
    /// </summary>
    private protected bool HoldForFailureAhead(ReadCursor<T> cursor)
    {
        if (_failures.IsEmpty)
        {
            return false;
        }

        if (_failures.ExhaustedAhead(cursor) is { } exhausted)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exhausted);
        }

        return _failures.IsFailingAt(cursor) && WaitOutBackoff(cursor);
    }

    /// <summary>Records a handler failure ahead of the cursor (see <see cref="HandlerFailures{T}.RecordAhead"/>).</summary>
    private protected void RecordFailureAhead(ReadCursor<T> cursor, long offset, Exception exception) =>
        _failures.RecordAhead(OwnedPartitionOf(cursor), cursor, offset, exception);

    /// <summary>See <see cref="HandlerFailures{T}.WaitOutBackoff"/>; a control request or a state change cuts it short.</summary>
    private bool WaitOutBackoff(ReadCursor<T> cursor) =>
        // Acquire: pairs with the version bump in RequestAssignment/RequestSeek/RequestStop (each then unparks us).
        _failures.WaitOutBackoff(cursor, _parker, ref _parked, () => Volatile.Read(ref _requestedVersion) != _appliedLocal || State != MemberState.Running);

    private void DropFenced()
    {
        var lost = new List<TopicPartition>();
        var keptOwned = new List<GroupPartition<T>>();
        var keptCursors = new List<ReadCursor<T>>();
        for (int i = 0; i < _owned.Length; i++)
        {
            if (ReferenceEquals(_owned[i].Cursor, _cursors[i]))
            {
                keptOwned.Add(_owned[i]);
                keptCursors.Add(_cursors[i]);
            }
            else
            {
                _owned[i].Partition.RemoveReaderParker(_parker);
                ReleaseContext(_cursors[i]);
                _failures.Forget(_cursors[i]);
                _ = WithdrawHandedOut(_owned[i], _cursors[i]);
                lost.Add(_owned[i].Id);
            }
        }

        _owned = [.. keptOwned];
        _cursors = [.. keptCursors];
        _options.RebalanceListener?.OnPartitionsLost(MemberId, lost);
    }
}
