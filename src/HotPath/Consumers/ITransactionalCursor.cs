namespace HotPath.Consumers;

/// <summary>
/// A member's cursor as a transaction sees it when it carries the member's offsets (Kafka's
/// <c>SendOffsetsToTransaction</c>), whatever the event type. Implemented by <see cref="ReadCursor{T}"/>.
/// </summary>
internal interface ITransactionalCursor
{
    /// <summary>Held by a committing transaction from its fence check to its commit; a fence takes it too.</summary>
    object ForkLock { get; }

    /// <summary>True once the group fenced the member on this partition (a rebalance or the session watchdog).</summary>
    bool IsFenced { get; }

    /// <summary>A process-unique number: committing transactions take fork locks in its order (no lock-order inversion).</summary>
    long Id { get; }

    /// <summary>The committed offset.</summary>
    long Committed { get; }

    /// <summary>The highest offset a commit may name now: the position, or during a dispatch the batch's end + 1. Reading thread.</summary>
    long CommitLimit { get; }

    /// <summary>
    /// Raises the committed offset to <paramref name="nextOffset"/> (a transaction's decided commit): from any thread, never
    /// throws; false only when fenced (nothing moved).
    /// </summary>
    bool TryCommitTransactional(long nextOffset);

    /// <summary>The partition, for messages: "partition 2 of 'orders'".</summary>
    string Describe();
}
