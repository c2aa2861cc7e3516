namespace HotPath.Consumers;

/// <summary>Which transactional events a reader sees: Kafka's <c>isolation.level</c>.</summary>
public enum IsolationLevel
{
    /// <summary>
    /// Only committed transactional events, and every non-transactional one, up to the partition's last stable offset
    /// (the first offset of its oldest open transaction). Aborted events are stepped over like gaps and counted. The
    /// default: without transactions it costs one read per batch, and with them it is what exactly-once needs.
    /// </summary>
    ReadCommitted = 0,

    /// <summary>Every published event, also of open and aborted transactions, as soon as it is published.</summary>
    ReadUncommitted = 1,
}
