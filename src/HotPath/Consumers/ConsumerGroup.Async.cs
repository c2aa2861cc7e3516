namespace HotPath.Consumers;

/// <content>
/// Async lifetimes: a member's leave and the group's disposal without blocking the caller's thread. The rebalance each
/// one runs (the members revoke, commit and take partitions, under the rebalance lock that serialises every rebalance)
/// waits for the members' threads, bounded by the group's time-outs: it runs on a thread-pool thread. The wait for the
/// members' threads to end, which <c>Leave</c> and <c>Dispose</c> spend in <see cref="Thread.Join()"/>, holds no thread.
/// </content>
public sealed partial class ConsumerGroup<T>
{
    /// <summary>
    /// Does what <see cref="Dispose"/> does without blocking the caller's thread: stops every member after its current
    /// batch (committing what it handled; one still inside its handler at <see cref="ConsumerGroupOptions.ShutdownTimeout"/>
    /// is fenced and abandoned), awaits the members' threads until that time-out, and unregisters the group.
    /// </summary>
    /// <returns>A task that completes once the group is disposed; at once when it was disposed already.</returns>
    /// <remarks>Thread-safety: any thread; idempotent (a later call does not wait for an earlier one).</remarks>
    public async ValueTask DisposeAsync()
    {
        // The rebalance that takes every partition back blocks while the members revoke: off the caller's thread.
        if (await Task.Run(BeginDispose).ConfigureAwait(false) is not { } disposal)
        {
            return;
        }

        foreach (GroupMember<T> member in disposal.Members)
        {
            _ = await member.Worker.JoinAsync(GroupRebalancer<T>.Remaining(disposal.Deadline)).ConfigureAwait(false);
        }

        EndDispose();
    }

    /// <summary>
    /// <see cref="Leave(GroupMember{T})"/> without blocking the caller: the rebalance on a thread-pool thread (the caller
    /// starts it through a cold task), then an await of the member's thread, at most <see cref="ConsumerGroupOptions.RebalanceTimeout"/>.
    /// </summary>
    internal async Task LeaveAsync(GroupMember<T> member)
    {
        // A member fenced by the rebalance (stuck in its handler) has already waited out its time-out: do not wait again.
        if (LeaveRebalance(member) && member.State != MemberState.Failed)
        {
            _ = await member.Worker.JoinAsync(Options.RebalanceTimeout).ConfigureAwait(false);
        }
    }
}
