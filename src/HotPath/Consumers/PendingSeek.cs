namespace HotPath.Consumers;

/// <summary>
/// A seek that <c>ConsumerGroup.Seek</c> asked a member to apply between two batches, and its result.
/// </summary>
/// <remarks>Thread-safety: created by the caller, completed by the member's thread, which writes <see cref="Error"/>
/// and then sets <see cref="Done"/> under the member's control lock; the caller reads <see cref="Done"/> under that
/// lock, and <see cref="Error"/> after it saw <see cref="Done"/> (the lock orders the two).</remarks>
/// <typeparam name="T">The event type.</typeparam>
internal sealed class PendingSeek<T>(GroupPartition<T> partition, long offset)
    where T : struct
{
    /// <summary>The partition to seek.</summary>
    public GroupPartition<T> Partition { get; } = partition;

    /// <summary>The offset to move to.</summary>
    public long Offset { get; } = offset;

    /// <summary>True once the member applied (or refused) the seek.</summary>
    public bool Done { get; set; }

    /// <summary>Why the seek was refused, or null.</summary>
    public Exception? Error { get; set; }
}
