using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace HotPath.Consumers;

/// <summary>
/// The <see cref="ContextPartition"/> of one member on one partition: commits go through the member's own cursor,
/// never the partition's current one, which a fence replaces at any moment (as <see cref="GroupPartition{T}.CommitFromHandler"/>).
/// </summary>
/// <remarks>Thread-safety: see <see cref="ContextPartition"/>.</remarks>
internal sealed class MemberContextPartition<T>(MemberWorker<T> member, ReadCursor<T> cursor)
    : ContextPartition(cursor.Partition.TopicName, cursor.Partition.Id, member.GroupIdOfMember)
    where T : struct
{
    public override void Commit(long nextOffset)
    {
        if (IsReleased)
        {
            ThrowRefused("the member no longer owns the partition (it was revoked or lost in a rebalance): its next owner resumes from the committed offset " + cursor.Committed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!member.IsCurrentThread && !AsyncCallOpen)
        {
            ThrowRefused("a context commits only from the handler call that received it (on the member's thread, or an asynchronous call's continuations until its task completes)");
        }

        // Acquire read of the committed sequence: a commit at or below it has nothing to move (a sealed value is negative
        // and never takes this branch).
        if (nextOffset <= cursor.Committed)
        {
            return;
        }

        // A CAS on the member's own sequence: fails, moving nothing, once a fence sealed it (see ReadCursor.TryCommit).
        if (!cursor.TryCommit(nextOffset))
        {
            ThrowRefused("the member was declared failed (fenced); the next owner resumes from the committed offset");
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowRefused(string why) => Internal.ThrowHelper.InvalidOperation(
        $"commit of {TopicName}-{PartitionId} by member '{member.MemberId}' of group '{GroupId}' was refused, nothing was committed: {why}");
}
