using HotPath.Partitioning;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Topics;

/// <summary>
/// One topic as Kafka's tooling describes it: <c>{"topic": "orders", "partitions": 3, "replicationFactor": 3}</c>.
/// Read a file of them with <see cref="TopicDefinitions.Load"/>.
/// </summary>
/// <param name="Topic">The topic name; Kafka's rules (1 to 249 characters of <c>[a-zA-Z0-9._-]</c>).</param>
/// <param name="Partitions">The number of partitions, at least 1.</param>
/// <param name="ReplicationFactor">
/// Kafka's replication factor, at least 1. In process it has no effect (there is one copy, in memory); it is
/// carried into <see cref="TopicOptions.ReplicationFactor"/> for the Kafka bridge, which uses it when it creates the
/// topic on a cluster.
/// </param>
/// <remarks>Thread-safety: immutable.</remarks>
public sealed record TopicDefinition(string Topic, int Partitions, int ReplicationFactor)
{
    /// <summary>
    /// The options of an in-process topic with this name, partition count and replication factor. Other settings
    /// can be changed with a <c>with</c> expression; they are validated when the topic is created.
    /// </summary>
    /// <param name="capacity">Slots per partition, a power of two.</param>
    /// <param name="partitioner">The partitioner, or null for <see cref="Partitioner.XxHash3"/>.</param>
    /// <param name="publishMode">Who may publish.</param>
    /// <param name="waitStrategy">How a writer waits on a full ring, or null for <see cref="WaitStrategy.Blocking"/>.</param>
    /// <returns>The options.</returns>
    /// <remarks>Thread-safety: any thread.</remarks>
    public TopicOptions ToOptions(
        int capacity = 1024,
        Partitioner? partitioner = null,
        PublishMode publishMode = PublishMode.MultiWriter,
        WaitStrategy? waitStrategy = null) =>
        new()
        {
            Name = Topic,
            PartitionCount = Partitions,
            ReplicationFactor = ReplicationFactor,
            Capacity = capacity,
            PublishMode = publishMode,
            Partitioner = partitioner ?? Partitioner.XxHash3,
            WaitStrategy = waitStrategy ?? WaitStrategy.Blocking,
        };
}
