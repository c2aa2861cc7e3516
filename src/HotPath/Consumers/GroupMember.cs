using System.Runtime.CompilerServices;
using HotPath.Groups;

namespace HotPath.Consumers;

/// <summary>
/// A member of a consumer group: a dedicated thread that handles the events of the partitions the group's
/// assignor gives it. Obtained from <c>ConsumerGroup.Join</c>; <see cref="Leave"/> (or Dispose) takes it out, and
/// <see cref="LeaveAsync"/> (or DisposeAsync) without blocking the caller.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <remarks>Thread-safety: every member is safe from any thread.</remarks>
public sealed class GroupMember<T> : IDisposable, IAsyncDisposable
    where T : struct
{
    private readonly ConsumerGroup<T> _group;

    // The leave started by the first LeaveAsync or DisposeAsync; every later call awaits the same one. Set once (CAS).
    private Task? _leaving;

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

    /// <summary>
    /// Leaves the group as <see cref="Leave"/> does, without blocking the caller's thread: the rebalance (which waits for
    /// this member's current batch and the other members' revokes) runs on a thread-pool thread, and the wait for the
    /// member's thread to end holds no thread.
    /// </summary>
    /// <param name="cancellationToken">
    /// Stops the caller's wait only: the leave, once started, always runs to its end (the member is never left half-left:
    /// its partitions revoked but still in the group). A token cancelled before the call still starts the leave. Call
    /// <see cref="LeaveAsync"/> again (or read <see cref="State"/>) to learn when it is done.
    /// </param>
    /// <returns>A task that completes once the member has left and its thread ended (or
    /// <c>RebalanceTimeout</c> passed while waiting for it, as for <see cref="Leave"/>); it faults when the rebalance threw
    /// (for example a throwing assignor: the member is stopped and out of the group all the same).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled before the leave ended (the leave goes on).</exception>
    /// <remarks>Thread-safety: any thread. Every call awaits the same leave, started by the first one. As for a second
    /// <see cref="Leave"/>, a leave that finds the member gone already (it left through <see cref="Leave"/>, maybe still
    /// under way on another thread, or was declared failed) completes at once.</remarks>
    public Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        // Acquire: pairs with the CAS that published the leave (StartLeaving); null until a first call started one.
        Task leaving = Volatile.Read(ref _leaving) ?? StartLeaving();
        return cancellationToken.CanBeCanceled ? leaving.WaitAsync(cancellationToken) : leaving;
    }

    /// <summary>Same as <see cref="LeaveAsync"/> with no token.</summary>
    /// <returns>A task that completes once the member has left.</returns>
    /// <remarks>Thread-safety: any thread.</remarks>
    public ValueTask DisposeAsync() => new(LeaveAsync());

    private Task StartLeaving()
    {
        // A cold task, started only by the thread whose CAS publishes it: one leave, on the thread pool (its rebalance
        // blocks). The CAS (a full fence) publishes the task to every later reader of _leaving (acquire above).
        var leave = new Task<Task>(static member => ((GroupMember<T>)member!)._group.LeaveAsync((GroupMember<T>)member!), this);
        Task leaving = leave.Unwrap();
        Task? started = Interlocked.CompareExchange(ref _leaving, leaving, null);
        if (started is not null)
        {
            return started;
        }

        leave.Start(TaskScheduler.Default);
        return leaving;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public override string ToString() => $"{MemberId} ({State})";
}
