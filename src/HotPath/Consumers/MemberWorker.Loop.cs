using System.Diagnostics;
using HotPath.Workers;

namespace HotPath.Consumers;

/// <summary>The worker thread's loop: dispatch each owned partition's batch, commit it, park when idle.</summary>
internal abstract partial class MemberWorker<T>
{
    private void Run()
    {
        if (_core is int core)
        {
            if (CpuAffinity.TryPinCurrentThread(core, out string? error))
            {
                Volatile.Write(ref _pinnedCpu, core);
            }
            else
            {
                Volatile.Write(ref _pinningError, error);
            }
        }

        try
        {
            Loop();
        }
        catch (Exception ex)
        {
            // A bug in the engine or a throwing rebalance listener: record it; the watchdog moves the partitions.
            Volatile.Write(ref _fault, ex);
            Interlocked.CompareExchange(ref _state, (int)MemberState.Faulted, (int)MemberState.Running);
            OnStopping();
        }
        finally
        {
            OnThreadEnded();
            lock (_control)
            {
                _exited = true;
                Monitor.PulseAll(_control);
            }

            // Last: an awaiter of JoinAsync sees everything the thread did (the task's completion is a full fence).
            _threadEnded.TrySetResult();
        }
    }

    private void Loop()
    {
        int idle = 0;
        bool autoCommit = CommitsAfterBatch;
        int maxBatch = _options.MaxBatchSize;
        int coalesceBelow = _options.CoalesceBelow;
        WaitStrategy wait = _options.WaitStrategy;
        var duration = Diagnostics.HotPathMetrics.ProcessDuration;
        while (true)
        {
            // Poll-interval heartbeat for the watchdog, once per pass (owner-only write; racy reads only compare values).
            // Not per batch: a store in the per-partition loop cost ~20% at 8-byte events (its code generation).
            Volatile.Write(ref _heartbeat, _heartbeat + 1);

            // Acquire: pairs with the increment under the lock in RequestAssignment; the request itself is read under the lock.
            if (Volatile.Read(ref _requestedVersion) != _appliedLocal && ApplyControl())
            {
                // CAS: a member that left in good health ends Stopped; a faulted or failed one keeps that state.
                Interlocked.CompareExchange(ref _state, (int)MemberState.Stopped, (int)MemberState.Running);
                return;
            }

            if (State != MemberState.Running)
            {
                ParkUntilControl();
                continue;
            }

            int progressed = 0;
            int handled = 0;
            GroupPartition<T>[] owned = _owned;
            ReadCursor<T>[] cursors = _cursors;
            for (int i = 0; i < owned.Length; i++)
            {
                ReadCursor<T> cursor = cursors[i];
                // Acquire: a fence by the coordinator replaces the partition's cursor; see the type's remarks.
                if (!ReferenceEquals(owned[i].Cursor, cursor))
                {
                    DropFenced();
                    break;
                }

                long started = duration.Enabled ? Stopwatch.GetTimestamp() : 0;
                long before = cursor.Position;
                long notHandledBefore = cursor.NotHandled;
                int count;
                try
                {
                    count = Dispatch(cursor, maxBatch);
                    if (count != 0 && !_failures.IsEmpty)
                    {
                        // Past this partition's failing event (if any): a later failure starts a new count of attempts.
                        // A failure recorded ahead of the position (a transactional member's split batch) stays.
                        _failures.ForgetPassed(cursor);
                    }
                }
                catch (Exception ex)
                {
                    // The events before the failing one were handled: count and commit them below, so that only the
                    // failing event is retried or redelivered and the duplicate window stays within one batch. A handler
                    // cancelled because its member stops did not fail: its event stays unhandled, for the next owner.
                    if (cursor.TakeJournalFailure(ex))
                    {
                        // The journal could not be read (a damaged batch): not the handler's failure, no policy applies.
                        count = (int)(cursor.Position - before);
                        OnHandlerFault(ex);
                    }
                    else
                    {
                        count = (int)(cursor.Position - before) + (IsStopCancellation(ex) ? 0 : OnHandlerError(owned[i], cursor, ex));
                    }
                }

                if (count != 0)
                {
                    progressed += count;
                    // The count includes the offsets lost (lossy) and the gaps stepped over: neither was handled.
                    int handledNow = count - (int)(cursor.NotHandled - notHandledBefore);
                    handled += handledNow;
                    owned[i].Counters.AddHandled(handledNow);
                    if (autoCommit && !cursor.IsFenced)
                    {
                        TestBeforeAutoCommit?.Invoke();
                        // False when a fence came after the check above: nothing moved, the next pass drops the partition.
                        cursor.TryCommitPosition();
                    }

                    if (started != 0)
                    {
                        owned[i].RecordProcessDuration(_options.GroupId, started);
                    }
                }
                else if (owned[i].IsDrained)
                {
                    _group.OnPartitionDrained();
                }

                if (State != MemberState.Running)
                {
                    break;
                }
            }

            if (progressed != 0)
            {
                // Owner-only write, read by monitors: a release write so they never see a torn or stale-forever value.
                Volatile.Write(ref _handled, _handled + handled);
                BatchCoalescing.AfterProgress(progressed, coalesceBelow, idle);
                idle = 0;
            }
            else if (owned.Length == 0)
            {
                ParkUntilControl();
            }
            else if (wait.Idle(ref idle))
            {
                ParkOnPartitions(owned, cursors);
            }
        }
    }

    /// <summary>
    /// Applies the error policy to the event at the cursor's position; returns the offsets passed (1 when the event was
    /// skipped or dead-lettered, 0 when it will be retried or the member stops).
    /// </summary>
    private int OnHandlerError(GroupPartition<T> partition, ReadCursor<T> cursor, Exception ex)
    {
        switch (_failures.OnError(partition, cursor, ex, out _))
        {
            case HandlerFailures<T>.Outcome.Retry:
                // Back off now (the member's other partitions wait too); a control request cuts this wait short, and
                // ApplyControl answers it, then waits the rest before the retry (the retry time stays with the failure).
                WaitOutBackoff(cursor);
                return 0;
            case HandlerFailures<T>.Outcome.SteppedOver:
                if (_options.CommitMode == CommitMode.Manual && cursor.Committed == cursor.Position - 1)
                {
                    // Manual commits, and everything before the skipped event was committed: commit past it too, or
                    // nothing ever would when it was the partition's last event (the group would never drain). A fence
                    // makes the commit fail, moving nothing.
                    cursor.TryCommitPosition();
                }

                return 1;
            default:
                OnHandlerFault(ex);
                return 0;
        }
    }

    private protected void OnHandlerFault(Exception ex)
    {
        Volatile.Write(ref _fault, ex);
        Interlocked.CompareExchange(ref _state, (int)MemberState.Faulted, (int)MemberState.Running);
        OnStopping();

        // The coordinator moves this member's partitions on another thread; this thread keeps applying control
        // requests (it commits what it handled before the failing event when its partitions are revoked).
        _group.OnMemberFaulted(this);
    }

    private void ParkUntilControl()
    {
        // The unpark in RequestAssignment/RequestStop/MarkFailed follows the version bump, so a request that
        // arrives after the check below leaves a permit and the park returns at once.
        if (Volatile.Read(ref _requestedVersion) == _appliedLocal)
        {
            Volatile.Write(ref _parked, 1);
            _parker.Park(_group.ReaderParkBackstopMilliseconds);
            Volatile.Write(ref _parked, 0);
        }
    }

    private void ParkOnPartitions(GroupPartition<T>[] owned, ReadCursor<T>[] cursors)
    {
        // Announce before raising the partitions' wake flags: a publisher that wins a flag then sees the announce.
        _parker.BeginParking();
        try
        {
            foreach (GroupPartition<T> partition in owned)
            {
                partition.Partition.EnterReaderPark();
            }

            // Re-check after announcing (process-wide barrier in EnterReaderPark): a publish that our check misses
            // sees the flag and unparks us.
            bool ready = Volatile.Read(ref _requestedVersion) != _appliedLocal;
            // A member that cannot take events (a pull member's full hand-off) parks even with events available: the take
            // that makes room unparks it (Wake), and the parker's permit covers a take between this check and the park.
            for (int i = 0; i < owned.Length && !ready && CanTakeEvents; i++)
            {
                ready = cursors[i].Available() >= cursors[i].Position;
            }

            if (!ready)
            {
                Volatile.Write(ref _parked, 1);
                _parker.Park(_group.ReaderParkBackstopMilliseconds);
                Volatile.Write(ref _parked, 0);
            }
        }
        finally
        {
            _parker.EndParking();
        }
    }
}
