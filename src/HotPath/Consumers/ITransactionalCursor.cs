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

    /// <summary>The committed offset.</summary>
    long Committed { get; }

    /// <summary>Commits <paramref name="nextOffset"/>; false when fenced (nothing moved).</summary>
    bool TryCommit(long nextOffset);

    /// <summary>The partition, for messages: "partition 2 of 'orders'".</summary>
    string Describe();
}
