using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HotPath.Durability;
using HotPath.Groups;
using HotPath.Partitions;

namespace HotPath.Consumers;

/// <summary>
/// One partition as one consumer group sees it: the group's cursor on it (its committed offset gates the
/// writer) and the member that owns it.
/// </summary>
/// <remarks>
/// Design: <see cref="Owner"/> changes only in <see cref="TryTakeOwnership"/> and <see cref="ReleaseOwnership"/>
/// (CAS, by the member's worker thread when it applies a new assignment) and in <see cref="Fence"/> (by the
/// coordinator, for a member declared failed). The coordinator hands a partition to a new member only after the
/// old owner released it or was fenced, so at most one member handles it at a time. <see cref="Cursor"/> is
/// replaced only by <see cref="Fence"/>; members compare it with the cursor they were given, once per batch,
/// to notice that they were fenced. Thread-safety: any thread for the reads; see above for the writes.
/// </remarks>
internal sealed class GroupPartition<T> : IOwnedPartition, IDurableCursor, ITransactionalOffsetTarget
    where T : struct
{
    private ReadCursor<T> _cursor;
    private MemberWorker<T>? _owner;

    public GroupPartition(
        TopicPartition id, Partition<T> partition, OffsetReset reset, bool lossy, bool readCommitted, long? offset = null, bool journaledOnly = false)
    {
        Id = id;
        Partition = partition;
        _cursor = new ReadCursor<T>(partition, reset, offset, lossy, readCommitted, journaledOnly);
        PartitionTag = id.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The partition number as a string, made once for metric tags (no allocation per measurement).</summary>
    public string PartitionTag { get; }

    /// <summary>Counters of this group on this partition.</summary>
    public PartitionCounters Counters { get; } = new();

    /// <summary>True once the partition is complete and the group committed everything published before that.</summary>
    public bool IsDrained => Partition.IsCompleted && Cursor.Committed >= Partition.EndOffset;

    public TopicPartition Id { get; }

    public Partition<T> Partition { get; }

    /// <summary>The current cursor. Acquire: a member that reads the replacement also sees its initialisation.</summary>
    public ReadCursor<T> Cursor => Volatile.Read(ref _cursor);

    /// <summary>The owning member, or null. Any thread; a snapshot.</summary>
    public MemberWorker<T>? Owner => Volatile.Read(ref _owner);

    /// <summary>Committed offset of the group on this partition. Any thread.</summary>
    public long Committed => Cursor.Committed;

    /// <summary>The group's id (for the records of transactions that commit its offsets).</summary>
    public string GroupId { get; init; } = string.Empty;

    /// <inheritdoc/>
    HotPath.Durability.JournalProgress? ITransactionalOffsetTarget.DurableJournal => Partition.Journal;

    /// <inheritdoc/>
    public HotPath.Durability.DurableCommit? HoldForDurableCommit(long offset, HotPath.Durability.DurableCommit commit) =>
        Partition.Journal!.HoldsFor(GroupId).Hold(offset, commit, Cursor.Committed);

    /// <inheritdoc/>
    public void ReleaseDurableCommit(HotPath.Durability.DurableCommit commit) => Partition.Journal!.HoldsFor(GroupId).Release(commit);

    /// <summary>Published events the group has not committed. Any thread.</summary>
    public long Lag => Cursor.Lag;

    /// <summary>Takes the partition for <paramref name="member"/>; false when another member still owns it.</summary>
    public bool TryTakeOwnership(MemberWorker<T> member) =>
        // Full fence (CAS): ownership moves only from nobody to somebody, so two owners can never coexist.
        Interlocked.CompareExchange(ref _owner, member, null) is null || ReferenceEquals(_owner, member);

    /// <summary>
    /// Gives the partition up if <paramref name="member"/> owns it, under the fork lock of <paramref name="cursor"/> (the
    /// member's own): a transaction that carries the member's offsets checks the ownership and commits under the same
    /// lock, so it commits before the next owner takes over, or it is refused.
    /// </summary>
    public void ReleaseOwnership(MemberWorker<T> member, ReadCursor<T> cursor)
    {
        lock (cursor.ForkLock)
        {
            // Release (CAS): the member's commit before this call is visible to the next owner that takes it.
            Interlocked.CompareExchange(ref _owner, null, member);
        }
    }

    /// <inheritdoc/>
    public bool IsOwnedBy(object member) => ReferenceEquals(Volatile.Read(ref _owner), member);

    /// <summary>
    /// Takes the partition away from a member declared failed: a fresh cursor at the last committed offset replaces
    /// the old one, whose sequence is sealed (<see cref="ReadCursor{T}.Fork"/>): the failed member's commits fail from
    /// this moment on, whenever it runs them, and it stops reading once it notices.
    /// </summary>
    public void Fence(MemberWorker<T> member)
    {
        if (!ReferenceEquals(Volatile.Read(ref _owner), member))
        {
            return;
        }

        // Release: the new cursor is fully built before another thread can read it. Fork also fences the old one.
        Volatile.Write(ref _cursor, _cursor.Fork());
        Interlocked.CompareExchange(ref _owner, null, member);
    }

    /// <summary>
    /// A manual commit (<c>ConsumerGroup.Commit</c>): only on the owner's thread, and through the owner's own cursor,
    /// never <see cref="Cursor"/>: a fence may replace the latter (and seal the former) at any moment, so a fenced
    /// member's commit fails instead of landing in the next owner's cursor.
    /// </summary>
    /// <param name="nextOffset">The next offset to read.</param>
    /// <param name="beforeCommit">A test hook run between the ownership check and the commit, or null.</param>
    public void CommitFromHandler(long nextOffset, Action? beforeCommit)
    {
        MemberWorker<T>? owner = Owner;
        if (owner is null || !owner.IsCurrentThread)
        {
            ThrowCommitRefused(owner, CommitRefusal.NotOwner);
        }

        if (owner.CommitsInTransactions)
        {
            ThrowCommitRefused(owner, CommitRefusal.Transactional);
        }

        beforeCommit?.Invoke();
        if (!owner.TryCommitOwned(this, nextOffset))
        {
            ThrowCommitRefused(owner, CommitRefusal.Fenced);
        }
    }

    private enum CommitRefusal
    {
        NotOwner,
        Transactional,
        Fenced,
    }

    /// <summary>A manual commit's refusal, with its message built here: commits run per batch and keep a small frame.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowCommitRefused(MemberWorker<T>? owner, CommitRefusal refusal) => Internal.ThrowHelper.InvalidOperation(refusal switch
    {
        CommitRefusal.NotOwner =>
            $"commit of {Id} must run on the thread of the member that owns it ({owner?.MemberId ?? "no owner"}): call it from that member's handler",
        CommitRefusal.Transactional =>
            $"commit of {Id} by member '{owner?.MemberId}' was refused: a transactional member commits its offsets in its transactions only (a commit outside them would move the offset without the outputs)",
        _ => $"commit of {Id} by member '{owner?.MemberId}' was refused: the member was declared failed (fenced); the next owner resumes from the committed offset {Committed}",
    });

    /// <summary>
    /// The owner's own cursor, for a transaction that adds the owner's offsets (KIP-447: only the member that owns the
    /// partition, on its thread); null with the reason when the calling thread is not the owner's or the owner was fenced.
    /// </summary>
    public ReadCursor<T>? CursorForTransaction(out MemberWorker<T>? owner, out string? refusal)
    {
        owner = Owner;
        if (owner is null || !owner.IsCurrentThread)
        {
            refusal = $"only the member that owns it may add them, from its handler on its thread (owner: {owner?.MemberId ?? "none"})";
            return null;
        }

        ReadCursor<T>? cursor = owner.CursorOf(this);
        if (cursor is null || cursor.IsFenced)
        {
            refusal = $"member '{owner.MemberId}' was fenced on it (a rebalance or the session watchdog moved the partition)";
            return null;
        }

        refusal = null;
        return cursor;
    }

    /// <summary>Records how long one batch of this partition took in the handler (the process-duration histogram).</summary>
    /// <param name="groupId">The consuming group.</param>
    /// <param name="started">The batch's start, a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
    public void RecordProcessDuration(string groupId, long started)
    {
        var tags = new System.Diagnostics.TagList
        {
            { "messaging.system", "hotpath" },
            { "messaging.destination.name", Id.Topic },
            { "messaging.destination.partition.id", PartitionTag },
            { "messaging.consumer.group.name", groupId },
        };
        Diagnostics.HotPathMetrics.ProcessDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, in tags);
    }
}
