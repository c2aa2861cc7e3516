using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A member faults and the group rebalances in the background to move its partitions: whatever that rebalance does
/// (here the user's assignor throws), the faulted member is stopped and reported, and the rebalance's exception is
/// recorded in <see cref="ConsumerGroup{T}.BackgroundError"/>.
/// </summary>
public sealed class FaultedMemberRebalanceFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The assignor throws in the background rebalance that follows a fault: the faulted member's thread still ends, its
    /// failure is reported to OnMemberFailed, and the assignor's exception is the group's background error.
    /// </summary>
    [Fact]
    public void HandlerThrows_AssignorThrowsInTheFollowingRebalance_FaultedMemberStoppedAndReported()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "rebalance-throws", PartitionCount = 2, Capacity = 64 });
        var assignor = new FailingAssignor();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "rebalance-throws",
            Assignor = assignor,
            OnMemberFailed = failures.Enqueue,
        });
        group.Join(new ActionHandler((_, _, _, _) => { }), memberId: "good");
        GroupMember<TestEvent> bad = group.Join(new ActionHandler((_, _, _, _) => throw new InvalidOperationException("handler failure")), memberId: "bad");
        int badPartition = Assert.Single(group.Assignment["bad"]).Partition;
        assignor.Fail = true;

        topic.PublishTo(badPartition, new TestEvent(1));

        Assert.True(SpinWait.SpinUntil(() => group.BackgroundError is not null, Timeout), "the background rebalance's error was recorded");
        Assert.Same(assignor.Thrown, group.BackgroundError);
        Assert.True(SpinWait.SpinUntil(() => bad.Worker.HasExited, Timeout), $"the faulted member's thread ended (state {bad.State})");
        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout), "the fault was reported");
        MemberFailure failure = Assert.Single(failures);
        Assert.Equal("bad", failure.MemberId);
        Assert.Equal(MemberState.Faulted, failure.State);
        Assert.Equal("handler failure", failure.Error.Message);
        Assert.DoesNotContain("bad", group.Members.Select(m => m.MemberId));
    }

    /// <summary>
    /// The assignor throws in the rebalance of a leave: the caller gets the assignor's exception, and the member, which
    /// committed and gave up its partitions before the assignment, still stops: it is out of the group and its thread
    /// ends (before, it kept running outside the group, where not even Dispose reached it).
    /// </summary>
    [Fact]
    public void Leave_AssignorThrowsInItsRebalance_ThrowsAndTheMemberStillStops()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "leave-rebalance-throws", PartitionCount = 2, Capacity = 64 });
        var assignor = new FailingAssignor();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "leave-rebalance-throws", Assignor = assignor });
        group.Join(new ActionHandler((_, _, _, _) => { }), memberId: "stays");
        GroupMember<TestEvent> leaving = group.Join(new ActionHandler((_, _, _, _) => { }), memberId: "leaves");
        assignor.Fail = true;

        var thrown = Assert.Throws<InvalidOperationException>(leaving.Leave);

        Assert.Same(assignor.Thrown, thrown);
        Assert.DoesNotContain("leaves", group.Members.Select(m => m.MemberId));
        Assert.True(SpinWait.SpinUntil(() => leaving.Worker.HasExited, Timeout), $"the member's thread ended (state {leaving.State})");
        Assert.Equal(MemberState.Stopped, leaving.State);
    }
}

