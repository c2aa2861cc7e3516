namespace HotPath.Consumers;

/// <summary>
/// A member's handle on one partition it owns, for the <see cref="EventContext"/> of its handler calls: created by the
/// member when it first dispatches the partition, released when the partition leaves it (revoked, lost or fenced).
/// </summary>
/// <remarks>
/// <para>One instance per ownership: a partition that comes back to the same member gets a new one, so a context kept
/// from an earlier ownership can never commit. <c>_released</c> is written by the member's thread only (between batches,
/// never during a handler call); <c>_asyncCallOpen</c> by the member's thread around each asynchronous call.</para>
/// <para>Thread-safety: the names from any thread; <see cref="Commit"/> from the handler call (see
/// <see cref="EventContext.Commit"/>).</para>
/// </remarks>
internal abstract class ContextPartition(string topicName, int partitionId, string groupId)
{
    private bool _released;
    private bool _asyncCallOpen;

    public string TopicName { get; } = topicName;

    public int PartitionId { get; } = partitionId;

    public string GroupId { get; } = groupId;

    /// <summary>
    /// True while the member awaits an asynchronous handler call for this partition: its continuations (other threads)
    /// may commit. The member's thread writes it around each call.
    /// </summary>
    public bool AsyncCallOpen
    {
        // Acquire: pairs with the release below; a continuation on another thread was scheduled after the member's
        // write (the task machinery orders that as well).
        get => Volatile.Read(ref _asyncCallOpen);

        // Release: opened before the handler is invoked, closed after its task completed.
        set => Volatile.Write(ref _asyncCallOpen, value);
    }

    /// <summary>True once the partition left the member this handle belongs to.</summary>
    // Acquire: pairs with the release in Release.
    public bool IsReleased => Volatile.Read(ref _released);

    /// <summary>The partition left the member (revoked, lost or fenced). Member thread, between batches.</summary>
    // Release: a thread that reads it later (a kept context's Commit) sees the partition gone.
    public void Release() => Volatile.Write(ref _released, true);

    /// <summary>Commits <paramref name="nextOffset"/> through the member's own cursor, or throws with nothing moved.</summary>
    /// <param name="nextOffset">The next offset to read.</param>
    public abstract void Commit(long nextOffset);
}
