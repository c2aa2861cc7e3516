using System.Globalization;
using Confluent.Kafka;
using HotPath.Kafka.Internal;

namespace HotPath.Kafka;

// The transactional mode of KafkaMirror<T> (KafkaMirrorOptions.TransactionalId): one Kafka transaction per batch, or,
// linked to a KafkaSource (KafkaSource.CommitOffsetsThrough), one per source checkpoint carrying the source's offsets.
public sealed partial class KafkaMirror<T>
{
    /// <summary>
    /// How many times a batch's Kafka transaction is tried in transactional mode: after an abortable failure the
    /// transaction is aborted and the batch sent again in a new one, up to this many attempts in all; then the mirror faults.
    /// </summary>
    public const int MaxTransactionAttempts = 5;

    private enum TxnCall
    {
        Init,
        Begin,
        SendOffsets,
        Commit,
        Abort,
    }

    private enum TxnErrorKind
    {
        Retriable,
        Abortable,
        Fatal,
    }

    private readonly string? _transactionalId;

    // Linked mode: the gate orders the mirroring thread's batches with the source thread's checkpoints. Under it:
    // _inBatch (a batch is being produced), _checkpointing (a checkpoint commits or aborts: no batch may start),
    // _txnOpen, _txnBroken, _checkpointTargets (a checkpoint waits for the mirror to reach them: no batch may start at or
    // past them meanwhile, so a busy mirror cannot starve it), and _discardBelow (written only while _checkpointing, read
    // by the mirroring thread inside a batch).
    private readonly object _txnGate = new();
    private readonly long[] _discardBelow;
    private bool _linked;
    private bool _inBatch;
    private bool _checkpointing;
    private bool _txnOpen;
    private bool _txnBroken;
    private long[]? _checkpointTargets;

    // Mirroring thread only.
    private bool _batchOpen;
    private bool _batchNeedsAbort;

    /// <summary>The transactional id, or null when the mirror is not transactional.</summary>
    /// <remarks>Thread safety: safe from any thread.</remarks>
    public string? TransactionalId => _transactionalId;

    private void InitTransactions()
    {
        long deadline = Environment.TickCount64 + (long)_options.StartupTimeout.TotalMilliseconds;
        KafkaException? failure = CallWithRetry(TxnCall.Init, deadline);
        if (failure is not null)
        {
            throw new KafkaBridgeException(
                KafkaTopic,
                $"InitTransactions failed for transactional id '{_transactionalId}' ({Classify(failure)}): {failure.Error.Code}: {failure.Error.Reason}. " +
                "The mirror stays stopped.",
                null,
                failure.Error.Code,
                failure);
        }
    }

    /// <summary>The first event of a batch in transactional mode, at <paramref name="offset"/> of <paramref name="partition"/>. Mirroring thread.</summary>
    private void BeginTransactionalBatch(int partition, long offset)
    {
        if (!_linked)
        {
            CallOrFault(TxnCall.Begin, null);
            _txnOpen = true;
            return;
        }

        lock (_txnGate)
        {
            while ((_checkpointing || (_checkpointTargets is { } targets && offset >= targets[partition])) && Volatile.Read(ref _crashed) == 0)
            {
                Monitor.Wait(_txnGate, 100);
            }

            // A checkpoint that faulted the mirror: stop the member rather than produce into a dead producer.
            if (Fault is { } fault)
            {
                throw fault;
            }

            if (!_txnOpen && !_txnBroken)
            {
                CallOrFault(TxnCall.Begin, null);
                _txnOpen = true;
            }

            _inBatch = true;
        }
    }

    /// <summary>The end of a batch in transactional mode, not linked: commit the batch's transaction, then the local offset.</summary>
    private void CompleteTransactionalBatch(MirrorPartition state, long lastOffset)
    {
        long deadline = Environment.TickCount64 + (long)_options.AckTimeout.TotalMilliseconds;
        for (int attempt = 1; ; attempt++)
        {
            Error? error = state.WaitForBatch(deadline, _stopWaiting, out bool complete);
            if (Volatile.Read(ref _crashed) != 0)
            {
                return;
            }

            KafkaException failure;
            if (error is { IsFatal: true })
            {
                throw RecordFault(TransactionFailure(state, lastOffset, "a delivery failed with a fatal error", error, null), state.Id, "txn_fatal");
            }

            if (error is not null || _batchNeedsAbort)
            {
                // A failed delivery leaves the transaction abortable (librdkafka refuses to commit it).
                failure = new KafkaTxnRequiresAbortException(error ?? new Error(ErrorCode.Local_State, "the producer refused a record of the failed transaction"));
            }
            else if (!complete)
            {
                AbortQuietly(deadline);
                throw RecordFault(AckTimeoutFailure(state, lastOffset), state.Id, "ack_timeout");
            }
            else
            {
                KafkaException? commitFailure = CallWithRetry(TxnCall.Commit, deadline);
                if (commitFailure is null)
                {
                    _txnOpen = false;
                    break;
                }

                failure = commitFailure;
                if (Classify(failure) != TxnErrorKind.Abortable)
                {
                    // Fatal, or retriable past AckTimeout: the commit's outcome is not known, so nothing is committed locally.
                    throw RecordFault(TransactionFailure(state, lastOffset, "CommitTransaction failed", failure.Error, failure), state.Id, "txn_fatal");
                }
            }

            _batchNeedsAbort = false;
            KafkaMetrics.RecordError(KafkaTopic, state.Id, "txn_aborted");
            if (attempt >= MaxTransactionAttempts)
            {
                AbortQuietly(deadline);
                throw RecordFault(
                    TransactionFailure(state, lastOffset, $"the batch's transaction aborted {attempt} times (at most {MaxTransactionAttempts})", failure.Error, failure),
                    state.Id,
                    "txn_aborted");
            }

            ResendBatch(state, lastOffset, deadline);
        }

        // Kafka committed the batch: the local group may now let the writer reuse these slots.
        long produced = state.Produced;
        _group.Commit(_topic.Name, state.Id, lastOffset + 1);
        state.ResetBatch();
        KafkaMetrics.Sent.Add(produced, state.Tags);
        Interlocked.Add(ref _sent, produced);
        // Last: a waiter released here sees the batch counted too.
        _mirroredWaiters.Check();
    }

    /// <summary>Aborts the batch's transaction and sends its kept records again in a new one. Mirroring thread.</summary>
    private void ResendBatch(MirrorPartition state, long lastOffset, long deadline)
    {
        KafkaException? abortFailure = CallWithRetry(TxnCall.Abort, deadline);
        if (abortFailure is not null)
        {
            throw RecordFault(TransactionFailure(state, lastOffset, "AbortTransaction failed", abortFailure.Error, abortFailure), state.Id, "txn_fatal");
        }

        Interlocked.Increment(ref _transactionAborts);
        if (!state.WaitForAllReported(deadline, _stopWaiting))
        {
            throw RecordFault(AckTimeoutFailure(state, lastOffset), state.Id, "ack_timeout");
        }

        state.RestartBatch();
        CallOrFault(TxnCall.Begin, state);
        List<(byte[]? Key, byte[] Value)> kept = state.Kept;
        for (int i = 0; i < kept.Count; i++)
        {
            _message.Key = kept[i].Key;
            _message.Value = kept[i].Value;
            Send(state, state.BatchStart + i);
        }
    }

    private void AbortOpenTransactionOnDispose()
    {
        long deadline = Environment.TickCount64 + (long)_options.CloseTimeout.TotalMilliseconds;
        lock (_txnGate)
        {
            while (_checkpointing && Environment.TickCount64 < deadline)
            {
                Monitor.Wait(_txnGate, 100);
            }

            if (_txnOpen)
            {
                // Best effort: the broker aborts it anyway after transaction.timeout.ms, or when the id is initialized again.
                AbortQuietly(deadline);
                _txnOpen = false;
            }
        }
    }

    private void AbortQuietly(long deadline)
    {
        if (CallWithRetry(TxnCall.Abort, deadline) is null)
        {
            Interlocked.Increment(ref _transactionAborts);
        }

        _txnOpen = false;
    }

    /// <summary>Begins a transaction; any failure is fatal to the mirror. Mirroring thread or a checkpoint.</summary>
    private void CallOrFault(TxnCall call, MirrorPartition? state)
    {
        try
        {
            Call(call, default, null, null);
        }
        catch (KafkaException ex)
        {
            string what = $"{call}Transaction failed ({Classify(ex)})";
            throw RecordFault(
                state is null ? LinkedFailure(what, ex) : TransactionFailure(state, state.BatchStart, what, ex.Error, ex),
                state?.Id,
                "txn_fatal");
        }
    }

    /// <summary>
    /// Calls <paramref name="call"/>, retrying retriable failures until <paramref name="deadline"/>; returns null on
    /// success, else the last failure (abortable, fatal, or retriable past the deadline).
    /// </summary>
    private KafkaException? CallWithRetry(
        TxnCall call, long deadline, List<TopicPartitionOffset>? offsets = null, IConsumerGroupMetadata? metadata = null)
    {
        while (true)
        {
            long remaining = Math.Max(1, deadline - Environment.TickCount64);
            try
            {
                Call(call, TimeSpan.FromMilliseconds(remaining), offsets, metadata);
                return null;
            }
            catch (KafkaException ex)
            {
                if (Classify(ex) != TxnErrorKind.Retriable || Environment.TickCount64 >= deadline || Volatile.Read(ref _crashed) != 0)
                {
                    return ex;
                }

                KafkaMetrics.RecordError(KafkaTopic, null, "txn_retry");
                Interlocked.Increment(ref _transactionRetries);
                Thread.Sleep(10);
            }
        }
    }

    private void Call(TxnCall call, TimeSpan timeout, List<TopicPartitionOffset>? offsets, IConsumerGroupMetadata? metadata)
    {
        // Test hook: a failure injected in place of the client's call.
        if (TransactionCallHook?.Invoke(CallName(call)) is { } injected)
        {
            throw injected;
        }

        switch (call)
        {
            case TxnCall.Init:
                _producer.InitTransactions(timeout);
                break;
            case TxnCall.Begin:
                _producer.BeginTransaction();
                break;
            case TxnCall.SendOffsets:
                _producer.SendOffsetsToTransaction(offsets, metadata, timeout);
                break;
            case TxnCall.Commit:
                _producer.CommitTransaction(timeout);
                break;
            default:
                _producer.AbortTransaction(timeout);
                break;
        }
    }

    private static string CallName(TxnCall call) => call switch
    {
        TxnCall.Init => "init",
        TxnCall.Begin => "begin",
        TxnCall.SendOffsets => "send_offsets",
        TxnCall.Commit => "commit",
        _ => "abort",
    };

    /// <summary>
    /// Confluent's classes, in its order of precedence: a fatal error (fenced included) first, then
    /// <see cref="KafkaTxnRequiresAbortException"/> (abortable), then <see cref="KafkaRetriableException"/>; any other
    /// failure of a transactional call is treated as fatal.
    /// </summary>
    private static TxnErrorKind Classify(KafkaException ex) =>
        ex.Error.IsFatal ? TxnErrorKind.Fatal
        : ex is KafkaTxnRequiresAbortException ? TxnErrorKind.Abortable
        : ex is KafkaRetriableException ? TxnErrorKind.Retriable
        : TxnErrorKind.Fatal;

    /// <summary>Whether a synchronous produce refusal means the transaction already failed (the batch end aborts it).</summary>
    private static bool IsTransactionState(Error error) => error.Code == ErrorCode.Local_State;

    private void ThrowIfUnusable()
    {
        if (Fault is { } fault)
        {
            throw new KafkaBridgeException(
                KafkaTopic, $"mirror '{_transactionalId}' of '{_topic.Name}' to '{KafkaTopic}' faulted: {fault.Message}", null, null, fault);
        }

        if (Volatile.Read(ref _state) == StateDisposed)
        {
            throw new ObjectDisposedException(nameof(KafkaMirror<T>), $"mirror '{_transactionalId}' of '{_topic.Name}' to '{KafkaTopic}' was disposed");
        }
    }

    private KafkaBridgeException TransactionFailure(MirrorPartition state, long offset, string what, Error error, Exception? inner) =>
        new(
            KafkaTopic,
            string.Create(
                CultureInfo.InvariantCulture,
                $"{what} for transactional id '{_transactionalId}', Kafka topic '{KafkaTopic}' partition {state.Id} (local topic '{_topic.Name}', " +
                $"local offsets {Math.Max(state.BatchStart, 0)} to {offset}): {error.Code}: {error.Reason}. The mirror stopped; these events stay " +
                $"uncommitted in group '{_group.GroupId}' and a new mirror sends them again."),
            state.Id,
            error.Code,
            inner);
}
