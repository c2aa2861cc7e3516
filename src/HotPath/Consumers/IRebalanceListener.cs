using HotPath.Groups;

namespace HotPath.Consumers;

/// <summary>
/// Hears about partitions a member gains or loses (Kafka's <c>ConsumerRebalanceListener</c>).
/// </summary>
/// <remarks>
/// Called on the member's own worker thread, at a point between batches: revocations of the old owner
/// always complete (and its offsets are committed) before the new owner's assignment callback runs.
/// Thread-safety: one instance may be shared by members, so implementations must be thread-safe.
/// </remarks>
public interface IRebalanceListener
{
    /// <summary>The member gives up these partitions; in <see cref="CommitMode.AfterBatch"/> mode their positions are already committed.</summary>
    /// <param name="memberId">The member.</param>
    /// <param name="partitions">The partitions revoked.</param>
    void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions);

    /// <summary>The member now owns these partitions and resumes each from its committed offset.</summary>
    /// <param name="memberId">The member.</param>
    /// <param name="partitions">The partitions added.</param>
    void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions);

    /// <summary>
    /// The member lost these partitions without the chance to commit (it was declared failed): the next owner
    /// resumes from the last committed offset.
    /// </summary>
    /// <param name="memberId">The member.</param>
    /// <param name="partitions">The partitions lost.</param>
    void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions);
}
