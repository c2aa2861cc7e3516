using Confluent.Kafka;
using HotPath.Kafka.Internal;

namespace HotPath.Kafka;

// The linked mode of a transactional KafkaMirror<T> (KafkaSource.CommitOffsetsThrough): a Kafka transaction spans a
// source checkpoint, carries the source's offsets, and is committed or aborted on the source's thread.
public sealed partial class KafkaMirror<T>
{
    /// <summary>Makes this mirror commit a source's offsets in its transactions; called by <see cref="KafkaSource{T}.CommitOffsetsThrough{TOut}(KafkaMirror{TOut})"/>.</summary>
    internal void LinkSource(string sourceDescription)
    {
        if (_transactionalId is null)
        {
            throw new ArgumentException(
                $"mirror must be transactional (KafkaMirrorOptions.{nameof(KafkaMirrorOptions.TransactionalId)} set) to commit the offsets of " +
                $"{sourceDescription}: mirror of '{_topic.Name}' to '{KafkaTopic}' has none",
                "mirror");
        }

        lock (_txnGate)
        {
            if (Volatile.Read(ref _state) != StateCreated)
            {
                throw new InvalidOperationException(
                    $"link {sourceDescription} before the mirror starts: mirror '{_transactionalId}' of '{_topic.Name}' was already started or disposed");
            }

            if (_linked)
            {
                throw new InvalidOperationException(
                    $"mirror '{_transactionalId}' already commits the offsets of another source: one source per mirror, or its transactions " +
                    $"would carry outputs of inputs whose offsets they do not commit ({sourceDescription})");
            }

            _linked = true;
        }
    }

    /// <summary>
    /// The end of a batch in linked mode: the records stay in the open transaction (the source's next checkpoint commits
    /// or aborts it); the local offset is committed once Kafka acknowledged them (see <see cref="KafkaSource{T}.CommitOffsetsThrough{TOut}(KafkaMirror{TOut})"/>).
    /// </summary>
    private void CompleteLinkedBatch(MirrorPartition state, long lastOffset)
    {
        bool broken = _batchNeedsAbort;
        _batchNeedsAbort = false;
        long produced = state.Produced;
        if (produced > 0)
        {
            long deadline = Environment.TickCount64 + (long)_options.AckTimeout.TotalMilliseconds;
            Error? error = state.WaitForBatch(deadline, _stopWaiting, out bool complete);
            if (Volatile.Read(ref _crashed) != 0)
            {
                return;
            }

            if (error is { IsFatal: true })
            {
                throw RecordFault(TransactionFailure(state, lastOffset, "a delivery failed with a fatal error", error, null), state.Id, "txn_fatal");
            }

            if (error is not null)
            {
                // The transaction is lost: the next checkpoint aborts it and the source reads its inputs again.
                broken = true;
                KafkaMetrics.RecordError(KafkaTopic, state.Id, "delivery_failed");
                complete = state.WaitForAllReported(deadline, _stopWaiting);
            }

            if (!complete)
            {
                throw RecordFault(AckTimeoutFailure(state, lastOffset), state.Id, "ack_timeout");
            }
        }

        _group.Commit(_topic.Name, state.Id, lastOffset + 1);
        state.ResetBatch();
        lock (_txnGate)
        {
            state.InOpenTransaction += broken ? 0 : produced;
            _txnBroken |= broken;
            _inBatch = false;
            Monitor.PulseAll(_txnGate);
        }

        _mirroredWaiters.Check();
    }

    /// <summary>
    /// A checkpoint of the linked source, on its thread, once every input it covers was handled locally: waits until the
    /// mirror has sent every committed local event published so far (at most <see cref="KafkaMirrorOptions.AckTimeout"/>),
    /// then commits the open Kafka transaction with <paramref name="offsets"/>. When <paramref name="commit"/> is false,
    /// or the transaction cannot commit (abortable failure, mirror not caught up in time), aborts it instead, and the
    /// mirror drops the local events published so far that it has not sent yet: the source must read those inputs again.
    /// </summary>
    /// <returns>True when Kafka committed the outputs and the offsets; false when the transaction was aborted.</returns>
    /// <exception cref="KafkaBridgeException">A fatal failure (fenced, or a commit whose outcome is unknown); the mirror faulted.</exception>
    /// <exception cref="ObjectDisposedException">The mirror was disposed.</exception>
    bool ICheckpointSink.Checkpoint(List<TopicPartitionOffset> offsets, IConsumerGroupMetadata? metadata, bool commit)
    {
        ThrowIfUnusable();
        long deadline = Environment.TickCount64 + (long)_options.AckTimeout.TotalMilliseconds;
        var targets = new long[_partitions.Length];
        for (int p = 0; p < targets.Length; p++)
        {
            targets[p] = _topic[p].EndOffset;
        }

        try
        {
            bool caughtUp = EnterCheckpoint(targets, commit, deadline);
            if (commit && caughtUp && !_txnBroken)
            {
                if (!_txnOpen)
                {
                    if (offsets.Count == 0)
                    {
                        return true;
                    }

                    CallOrFault(TxnCall.Begin, null);
                    _txnOpen = true;
                }

                KafkaException? failure = offsets.Count == 0 ? null : CallWithRetry(TxnCall.SendOffsets, deadline, offsets, metadata);
                bool commitFailed = false;
                if (failure is null)
                {
                    failure = CallWithRetry(TxnCall.Commit, deadline);
                    commitFailed = failure is not null;
                }

                if (failure is null)
                {
                    _txnOpen = false;
                    foreach (MirrorPartition partition in _partitions)
                    {
                        KafkaMetrics.Sent.Add(partition.InOpenTransaction, partition.Tags);
                        Interlocked.Add(ref _sent, partition.InOpenTransaction);
                        partition.InOpenTransaction = 0;
                    }

                    return true;
                }

                // Offsets refused after their retries: nothing committed yet, so aborting is safe. A commit whose outcome is
                // unknown (retriable past the deadline) or a fatal error stops the mirror.
                TxnErrorKind kind = Classify(failure);
                bool abortable = kind == TxnErrorKind.Abortable || (kind == TxnErrorKind.Retriable && !commitFailed);
                if (!abortable)
                {
                    throw RecordFault(LinkedFailure("committing a checkpoint failed", failure), null, "txn_fatal");
                }
            }

            KafkaMetrics.RecordError(KafkaTopic, null, "txn_aborted");
            for (int p = 0; p < targets.Length; p++)
            {
                _discardBelow[p] = Math.Max(_discardBelow[p], targets[p]);
                _partitions[p].InOpenTransaction = 0;
            }

            if (_txnOpen)
            {
                KafkaException? abortFailure = CallWithRetry(TxnCall.Abort, deadline);
                if (abortFailure is not null)
                {
                    throw RecordFault(LinkedFailure("AbortTransaction failed", abortFailure), null, "txn_fatal");
                }

                Interlocked.Increment(ref _transactionAborts);
            }

            _txnOpen = false;
            _txnBroken = false;
            return false;
        }
        finally
        {
            lock (_txnGate)
            {
                _checkpointing = false;
                _checkpointTargets = null;
                Monitor.PulseAll(_txnGate);
            }
        }
    }

    /// <summary>
    /// Waits (source thread) until no batch is being produced and, when <paramref name="waitForCatchUp"/>, until the
    /// mirror has handled every committed local event below <paramref name="targets"/> (or the deadline passed); then
    /// blocks new batches. Returns whether it caught up.
    /// </summary>
    private bool EnterCheckpoint(long[] targets, bool waitForCatchUp, long deadline)
    {
        long hardDeadline = deadline + (long)_options.AckTimeout.TotalMilliseconds;
        lock (_txnGate)
        {
            _checkpointTargets = targets;
        }

        while (true)
        {
            ThrowIfUnusable();
            bool stable = true;
            for (int p = 0; p < targets.Length && stable; p++)
            {
                stable = _topic[p].LastStableOffset >= targets[p];
            }

            lock (_txnGate)
            {
                if (!_inBatch)
                {
                    bool caughtUp = waitForCatchUp && stable && CaughtUpLocked(targets);
                    if (caughtUp || !waitForCatchUp || Environment.TickCount64 > deadline)
                    {
                        _checkpointing = true;
                        return caughtUp;
                    }
                }

                // Woken at the end of each batch.
                Monitor.Wait(_txnGate, 1);
            }

            if (Environment.TickCount64 > hardDeadline)
            {
                throw new KafkaBridgeException(
                    KafkaTopic,
                    $"mirror '{_transactionalId}' of '{_topic.Name}' stayed inside one batch for longer than twice AckTimeout={_options.AckTimeout}: " +
                    "the checkpoint could neither commit nor abort its transaction");
            }
        }
    }

    /// <summary>True when, on every partition, no committed local event below the target is left unsent. Under the gate, between batches.</summary>
    private bool CaughtUpLocked(long[] targets)
    {
        for (int p = 0; p < targets.Length; p++)
        {
            long sent = _group.GetCommittedOffset(_topic.Name, p);
            if (sent >= targets[p])
            {
                continue;
            }

            // Events of aborted local transactions are never handed to the mirror: only a visible one counts.
            using HotPath.Consumers.PartitionReader<T> reader = _topic.CreateReader(p, offset: sent);
            if (reader.TryRead(out _, out long next) && next < targets[p])
            {
                return false;
            }
        }

        return true;
    }

    private KafkaBridgeException LinkedFailure(string what, KafkaException inner) =>
        new(
            KafkaTopic,
            $"{what} for transactional id '{_transactionalId}' (mirror of local topic '{_topic.Name}' to Kafka topic '{KafkaTopic}'): " +
            $"{inner.Error.Code}: {inner.Error.Reason}. The mirror stopped; " +
            (_linked
                ? "Kafka keeps the outputs and source offsets of the last committed checkpoint, from which a restarted pipeline resumes."
                : $"the events of its open batch stay uncommitted in group '{_group.GroupId}' and a new mirror sends them again."),
            null,
            inner.Error.Code,
            inner);
}
