namespace HotPath.Consumers;

/// <summary>When a group member commits the offsets it handled.</summary>
public enum CommitMode
{
    /// <summary>After each handled batch (Kafka's auto-commit, but synchronous with handling). The default.</summary>
    AfterBatch = 0,

    /// <summary>
    /// Only when the handler calls <c>ConsumerGroup.Commit</c>. Uncommitted events keep their slots (the writer
    /// waits for them) and are handled again by the next owner after a rebalance or a failure.
    /// </summary>
    Manual = 1,
}
