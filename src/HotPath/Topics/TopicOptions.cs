using HotPath.Internal;
using HotPath.Partitioning;
using HotPath.Partitions;
using HotPath.Workers;

namespace HotPath.Topics;

/// <summary>The shape of a topic: name, partitions, slots per partition, publishing mode, routing and waiting.</summary>
/// <remarks>Validated once, when a topic is created (<see cref="Validate"/>). Thread-safety: immutable after init.</remarks>
public sealed record TopicOptions
{
    /// <summary>The longest topic name Kafka accepts.</summary>
    public const int MaxNameLength = 249;

    /// <summary>The largest capacity per partition: 2^30 slots.</summary>
    public const int MaxCapacity = 1 << 30;

    /// <summary>The topic name: 1 to 249 characters of <c>[a-zA-Z0-9._-]</c>, as in Kafka, so it can be mirrored there.</summary>
    public required string Name { get; init; }

    /// <summary>Number of partitions, at least 1. Default 1.</summary>
    public int PartitionCount { get; init; } = 1;

    /// <summary>Slots per partition: a power of two from 1 to 2^30. Default 1024.</summary>
    public int Capacity { get; init; } = 1024;

    /// <summary>Who may publish; see <see cref="PublishMode"/>. Default <see cref="PublishMode.MultiWriter"/>.</summary>
    public PublishMode PublishMode { get; init; } = PublishMode.MultiWriter;

    /// <summary>How a writer waits on a full ring. Default <see cref="WaitStrategy.Blocking"/>.</summary>
    public WaitStrategy WaitStrategy { get; init; } = WaitStrategy.Blocking;

    /// <summary>Maps keys to partitions. Default <see cref="Partitioner.XxHash3"/>; <see cref="Partitioner.Kafka"/> places keys as Kafka's Java producer does.</summary>
    public Partitioner Partitioner { get; init; } = Partitioner.XxHash3;

    /// <summary>
    /// Kafka's replication factor, at least 1. It has no effect in process (there is one copy, in memory); it is
    /// kept for the Kafka bridge, which uses it when it creates the topic on a cluster. Default 1.
    /// </summary>
    public int ReplicationFactor { get; init; } = 1;

    /// <summary>
    /// Makes the topic durable: its events are journaled to files and its groups' committed offsets persist, so a new
    /// process resumes where the last one stopped. Null (the default): in memory only. The event type must then be a
    /// struct without references (it is written as its bytes).
    /// </summary>
    public HotPath.Durability.DurabilityOptions? Durability { get; init; }

    /// <summary>
    /// Carries the publisher's trace context to the handlers of each event: every partition keeps one
    /// <see cref="System.Diagnostics.ActivityContext"/> per slot (about 48 bytes a slot), written by the publisher when it
    /// has one (its send span, or <see cref="System.Diagnostics.Activity.Current"/>), and a lossless group's process span of
    /// the event takes it as its parent (a batch's span links them). See <see cref="Diagnostics.HotPathTracing"/>. Off by
    /// default: then it costs nothing.
    /// </summary>
    public bool PropagateTraceContext { get; init; }

    /// <summary>Throws when an option breaks its rule; the message names the option, the rule and the value.</summary>
    /// <remarks>Thread-safety: any thread.</remarks>
    public void Validate()
    {
        if (Name is null)
        {
            ThrowHelper.ArgumentNull(nameof(Name));
        }

        if (Name.Length is 0 or > MaxNameLength)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(Name), $"must be 1 to {MaxNameLength} characters long", $"'{Name}' ({Name.Length} characters)");
        }

        foreach (char c in Name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                ThrowHelper.Argument(nameof(Name), $"{nameof(Name)} must use only the characters [a-zA-Z0-9._-] (as Kafka topic names do), was '{Name}'");
            }
        }

        if (PartitionCount < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(PartitionCount), "must be at least 1", PartitionCount);
        }

        if (Capacity < 1 || Capacity > MaxCapacity || (Capacity & (Capacity - 1)) != 0)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(Capacity), $"must be a power of two from 1 to {MaxCapacity}", Capacity);
        }

        if (PublishMode is not (PublishMode.MultiWriter or PublishMode.SingleWriter))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(PublishMode), "must be MultiWriter or SingleWriter", PublishMode);
        }

        if (WaitStrategy is null)
        {
            ThrowHelper.ArgumentNull(nameof(WaitStrategy));
        }

        if (Partitioner is null)
        {
            ThrowHelper.ArgumentNull(nameof(Partitioner));
        }

        if (ReplicationFactor < 1)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(ReplicationFactor), "must be at least 1", ReplicationFactor);
        }

        Durability?.Validate();
    }
}
