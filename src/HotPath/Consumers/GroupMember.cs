using System.Runtime.CompilerServices;
using HotPath.Groups;

namespace HotPath.Consumers;

/// <summary>
/// A member of a consumer group: a dedicated thread that handles the events of the partitions the group's
/// assignor gives it. Obtained from <c>ConsumerGroup.Join</c>; <see cref="Leave"/> (or Dispose) takes it out.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread-safety: every member is safe from any thread.</remarks>
public sealed class GroupMember<T> : IDisposable
    where T : struct
{
    private readonly ConsumerGroup<T> _group;

    internal GroupMember(ConsumerGroup<T> group, MemberWorker<T> worker)
    {
        _group = group;
        Worker = worker;
    }

    /// <summary>The member id, unique in the group.</summary>
    public string MemberId => Worker.MemberId;

    /// <summary>The static member id (Kafka's <c>group.instance.id</c>), or null.</summary>
    public string? GroupInstanceId => Worker.GroupInstanceId;

    /// <summary>The partitions this member owns now. A snapshot.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _group.AssignmentOf(Worker);

    /// <summary>The member's state.</summary>
    public MemberState State => Worker.State;

    /// <summary>The exception that stopped the member's handler, or null.</summary>
    public Exception? Fault => Worker.Fault;

    /// <summary>Events handed to this member's handler so far: events a lossy group lost and gaps (abandoned claims) are not counted.</summary>
    public long HandledCount => Worker.Handled;

    /// <summary>The CPU the member's thread is pinned to, or -1 when unpinned.</summary>
    public int PinnedCpu => Worker.PinnedCpu;

    /// <summary>Why pinning was refused (for example, an OS without support), or null.</summary>
    public string? PinningError => Worker.PinningError;

    internal MemberWorker<T> Worker { get; }

    /// <summary>
    /// Leaves the group: its partitions are revoked (committing what it handled) and handed to the other
    /// members, then its thread ends. Blocks until that is done. Idempotent; a no-op on a member already declared
    /// failed. A member stuck in its handler past <c>RebalanceTimeout</c> (or <c>SessionTimeout</c>) is fenced instead:
    /// it still leaves, and what it handled since its last commit is handled again by the next owner.
    /// </summary>
    public void Leave() => _group.Leave(this);

    /// <summary>Same as <see cref="Leave"/>.</summary>
    public void Dispose() => Leave();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public override string ToString() => $"{MemberId} ({State})";
}
