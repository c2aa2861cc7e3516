namespace HotPath.Groups;

/// <summary>
/// What one group member sends to the assignor: the topics it subscribes to and, for the
/// cooperative protocol, the partitions it owns from the previous rebalance.
/// Thread-safety: immutable record; safe to share between threads as long as the lists are not mutated.
/// </summary>
/// <param name="Topics">The topics the member subscribes to; must not be null nor hold a null name.</param>
/// <param name="OwnedPartitions">The partitions the member owned after the previous rebalance, or null for none.</param>
/// <param name="Generation">
/// The group generation in which the member owned <paramref name="OwnedPartitions"/>; -1 (the default) means unknown and
/// ranks lowest. When several members report the same partition, the one with the highest generation owns it, and two
/// reporting it in the same generation both lose it.
/// </param>
/// <param name="GroupInstanceId">The static membership id, or null for a dynamic member. Static members sort first.</param>
public sealed record Subscription(
    IReadOnlyList<string> Topics,
    IReadOnlyList<TopicPartition>? OwnedPartitions = null,
    int Generation = -1,
    string? GroupInstanceId = null);
