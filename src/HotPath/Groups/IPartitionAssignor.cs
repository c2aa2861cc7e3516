namespace HotPath.Groups;

/// <summary>
/// Decides which member of a consumer group reads which partitions, with the same algorithms as
/// Kafka's client-side assignors.
/// </summary>
/// <remarks>
/// Contract shared by all implementations:
/// <list type="bullet">
/// <item>every key of the subscriptions appears in the result, possibly with an empty list;</item>
/// <item>a member only receives partitions of topics it subscribes to, and no partition goes to two members;</item>
/// <item>subscribed topics missing from the partition counts are ignored, and so are topics in the partition
/// counts that no member subscribes to;</item>
/// <item>members are ordered by <see cref="StringComparer.Ordinal"/>; where an assignor orders members (range,
/// round-robin) static members (with a group instance id) come first, ordered by that id.</item>
/// </list>
/// Thread-safety: implementations are stateless; <see cref="Assign"/> may be called from several threads at once.
/// </remarks>
public interface IPartitionAssignor
{
    /// <summary>
    /// The protocol name Kafka uses for this assignor: <c>range</c>, <c>roundrobin</c> or <c>cooperative-sticky</c>.
    /// Thread-safety: constant; safe from any thread.
    /// </summary>
    string Name { get; }

    /// <summary>
    /// Computes the assignment of partitions to members.
    /// Thread-safety: safe to call concurrently; reads the arguments and never mutates them.
    /// </summary>
    /// <param name="partitionsPerTopic">The number of partitions of each existing topic; counts must not be negative.</param>
    /// <param name="subscriptions">Each member's subscription, keyed by member id.</param>
    /// <returns>A new dictionary with one entry per member, holding the partitions assigned to it.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A partition count is negative, a subscription or its topic list is null, a
    /// topic name is null, or a generation is below -1.</exception>
    IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, Subscription> subscriptions);
}
