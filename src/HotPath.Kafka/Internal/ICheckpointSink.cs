using Confluent.Kafka;

namespace HotPath.Kafka.Internal;

/// <summary>
/// What a <see cref="KafkaSource{T}"/> linked with <c>CommitOffsetsThrough</c> needs of its transactional
/// <see cref="KafkaMirror{T}"/>, without the mirror's event type.
/// </summary>
/// <remarks>Thread safety: <see cref="Checkpoint"/> is called by the source's consume thread only.</remarks>
internal interface ICheckpointSink
{
    /// <summary>
    /// Commits the mirror's open Kafka transaction with <paramref name="offsets"/> once it has sent every committed local
    /// output published so far, or aborts it (<paramref name="commit"/> false, or it cannot commit).
    /// </summary>
    /// <returns>True when committed; false when aborted (the source must read the inputs since its last commit again).</returns>
    bool Checkpoint(List<TopicPartitionOffset> offsets, IConsumerGroupMetadata? metadata, bool commit);
}
