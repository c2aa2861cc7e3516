namespace HotPath.Transactions;

/// <summary>Where a <see cref="TransactionalPublisher"/> stands.</summary>
public enum TransactionState
{
    /// <summary>No transaction is open: <see cref="TransactionalPublisher.Begin"/> opens one.</summary>
    Ready = 0,

    /// <summary>A transaction is open: publish, add offsets, then commit or abort.</summary>
    Open = 1,

    /// <summary>The transaction decided to commit; its offsets and events are being made visible.</summary>
    Committing = 2,

    /// <summary>The transaction is being aborted.</summary>
    Aborting = 3,

    /// <summary>
    /// The coordinator aborted the open transaction (it was open longer than its timeout): its events are never handed
    /// to read-committed readers and its offsets were dropped. The next publish or commit throws
    /// <see cref="TransactionAbortedException"/>; <see cref="TransactionalPublisher.Abort"/> acknowledges it.
    /// </summary>
    Aborted = 4,

    /// <summary>
    /// A newer instance with the same transactional id (a higher epoch) fenced this one, or the consumer group fenced the
    /// member that uses it: its open transaction was aborted and every further call throws
    /// <see cref="ProducerFencedException"/>.
    /// </summary>
    Fenced = 5,

    /// <summary>The publisher was disposed.</summary>
    Closed = 6,
}
