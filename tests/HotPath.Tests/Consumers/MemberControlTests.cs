using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The member's side of the coordinator's requests and of its own life: the rebalance listener hears every partition
/// that moves, a seek that a rebalance overtook is refused by name, a throwing listener faults the member with its
/// exception, the member's thread is named and in the background, and Leave returns once that thread ended.
/// </summary>
public class MemberControlTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64 });

    private static List<int> PartitionsOf(RecordingListener listener, string kind, string member) =>
        [.. listener.Calls.Where(c => c.Kind == kind && c.Member == member).Select(c => c.Partition.Partition).Order()];

    /// <summary>Assigned on join, revoked on leave, lost on a fence: each callback lists every partition that moved.</summary>
    [Fact]
    public void RebalanceListener_MemberWithThreePartitions_HearsAllThreeAssignedRevokedAndLost()
    {
        using var topic = CreateTopic(partitions: 3);
        var listener = new RecordingListener();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "listened", RebalanceListener = listener });

        GroupMember<TestEvent> leaving = group.Join(new RecordingHandler(3).For("l"), memberId: "l");
        leaving.Leave();
        GroupMember<TestEvent> fenced = group.Join(new RecordingHandler(3).For("f"), memberId: "f");
        group.TestFence(fenced);
        Assert.True(fenced.Worker.Join(Timeout), "the fenced member's thread ends");

        Assert.Equal([0, 1, 2], PartitionsOf(listener, "assigned", "l"));
        Assert.Equal([0, 1, 2], PartitionsOf(listener, "revoked", "l"));
        Assert.Empty(PartitionsOf(listener, "lost", "l"));
        Assert.Equal([0, 1, 2], PartitionsOf(listener, "assigned", "f"));
        Assert.Equal([0, 1, 2], PartitionsOf(listener, "lost", "f"));
        Assert.Empty(PartitionsOf(listener, "revoked", "f"));
    }

    /// <summary>
    /// A seek that reaches the member after a rebalance took the partition away (both were pending while the member
    /// was in its handler; the assignment is applied first) is refused: the error names the member and the partition and
    /// says to seek again. Nothing moved.
    /// </summary>
    [Fact]
    public void Seek_PartitionRevokedBeforeTheMemberAppliedIt_RefusedNamingMemberAndPartition()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "overtaken" });
        using var inHandler = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var handler = new ActionHandler((_, _, _, _) =>
        {
            inHandler.Set();
            release.Wait(Timeout);
        });
        GroupMember<TestEvent> member = group.Join(handler, memberId: "m");
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(inHandler.Wait(Timeout));
        MemberWorker<TestEvent> worker = member.Worker;
        GroupPartition<TestEvent> partition = worker.CoordinatorView[0];

        // Both requests wait for the member's next safe point: the seek, then an assignment without the partition.
        PendingSeek<TestEvent> seek = worker.RequestSeek(partition, 0);
        worker.RequestAssignment([]);
        release.Set();

        var error = Assert.Throws<InvalidOperationException>(() => worker.AwaitSeek(seek, Timeout));
        Assert.Equal("member 'm' no longer owns orders-0: seek again", error.Message);
        Assert.Equal(1, group.GetCommittedOffset("orders", 0));
    }

    /// <summary>
    /// A rebalance listener that throws on the member's thread ends that thread: the member is faulted with the
    /// listener's exception (not a generic "thread ended"), and the join still returns it.
    /// </summary>
    [Fact]
    public void Join_RebalanceListenerThrowsOnAssign_MemberFaultedWithTheListenersException()
    {
        using var topic = CreateTopic(partitions: 1);
        var thrown = new InvalidOperationException("listener failure");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "listener-throws",
            RebalanceListener = new ThrowingOnAssign(thrown),
        });

        GroupMember<TestEvent> member = group.Join(new RecordingHandler(1).For("m"));

        Assert.True(member.Worker.Join(Timeout));
        Assert.Equal(MemberState.Faulted, member.State);
        Assert.Same(thrown, member.Fault);
    }

    /// <summary>The member's thread is a background thread named after group and member; unpinned, it reports CPU -1.</summary>
    [Fact]
    public void Join_WithoutCores_ThreadIsBackgroundNamedAfterGroupAndMemberAndUnpinned()
    {
        using var topic = CreateTopic(partitions: 1);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "named" });
        var thread = new TaskCompletionSource<(string? Name, bool IsBackground)>(TaskCreationOptions.RunContinuationsAsynchronously);
        GroupMember<TestEvent> member = group.Join(
            new ActionHandler((_, _, _, _) => thread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground))),
            memberId: "worker-7");

        topic.PublishTo(0, new TestEvent(1));

        Assert.True(thread.Task.Wait(Timeout));
        Assert.Equal(("hotpath:named:worker-7", true), thread.Task.Result);
        Assert.Equal(-1, member.PinnedCpu);
        Assert.Null(member.PinningError);
    }

    /// <summary>Leave blocks until the member's thread ended: then the member is stopped and its thread gone.</summary>
    [Fact]
    public void Leave_IdleMember_ReturnsOnceItsThreadEnded()
    {
        using var topic = CreateTopic(partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "leaves" });
        GroupMember<TestEvent> member = group.Join(new RecordingHandler(2).For("m"));

        member.Leave();

        Assert.True(member.Worker.HasExited, "Leave returned before the member's thread ended");
        Assert.Equal(MemberState.Stopped, member.State);
    }

    private sealed class ThrowingOnAssign(Exception error) : IRebalanceListener
    {
        public void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions) => throw error;

        public void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions)
        {
        }

        public void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions)
        {
        }
    }
}
