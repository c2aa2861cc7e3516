using HotPath.Groups;

namespace HotPath.Durability;

/// <summary>One consumer group's committed offset on one partition of a durable topic, which the journaller persists.</summary>
internal interface IDurableCursor
{
    /// <summary>The topic and partition.</summary>
    TopicPartition Id { get; }

    /// <summary>The committed offset (the next offset to read). Any thread: an acquire read.</summary>
    long Committed { get; }
}
