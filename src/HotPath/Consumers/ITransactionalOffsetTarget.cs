using HotPath.Durability;

namespace HotPath.Consumers;

/// <summary>
/// A group's partition as a transaction that carries its offsets sees it, for durability: the offsets a transaction
/// commits on a durable topic are persisted only once the transaction's commit record is durable, so that after a crash
/// the group never resumes past input whose outputs were lost (exactly once across a restart). Implemented by
/// <see cref="GroupPartition{T}"/>.
/// </summary>
internal interface ITransactionalOffsetTarget
{
    /// <summary>The partition's journal when its topic is durable, else null.</summary>
    JournalProgress? DurableJournal { get; }

    /// <summary>The group's id.</summary>
    string GroupId { get; }

    /// <summary>
    /// <paramref name="commit"/> decided to commit <paramref name="offset"/> here, not durable yet: until it is, the offset
    /// persisted for the group stays at most the committed offset before it. Call before the offset is committed in
    /// memory. Returns the latest earlier commit here that is not durable yet, or null: <paramref name="commit"/>'s record
    /// must not be written before that one's, whose input below this offset it would otherwise skip after a crash.
    /// </summary>
    DurableCommit? HoldForDurableCommit(long offset, DurableCommit commit);

    /// <summary><paramref name="commit"/>'s record is durable: its offset may be persisted (holds end in the order taken).</summary>
    void ReleaseDurableCommit(DurableCommit commit);
}
