using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>Member states and hand-overs around leaving and handler faults.</summary>
public sealed class MemberLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64 });

    [Fact]
    public void Leave_RunningMember_StateIsStopped()
    {
        using var topic = CreateTopic(partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "stop" });
        var handler = new RecordingHandler(2);
        GroupMember<TestEvent> member = group.Join(handler.For("m"));

        member.Leave();

        Assert.Empty(member.Assignment);
        Assert.Empty(group.Members);
        Assert.Equal(MemberState.Stopped, member.State);
    }

    // Regression: a rebalance used to hand a faulted member's partitions to a new member before the faulted one
    // released them, and the new member's thread died on "assigned ... while member 'a-bad' still owns it".
    [Fact]
    public void Join_WhileFaultedMemberStillOwnsItsPartition_NewMemberTakesItOnlyAfterRevoke()
    {
        using var topic = CreateTopic(partitions: 1);
        using var faultSeen = new ManualResetEventSlim();
        using var releaseFault = new ManualResetEventSlim();
        // The error callback runs on the failing member's thread before the member faults and the group is told:
        // holding it open until a join's rebalance has started makes the race deterministic.
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "fault-race",
            Assignor = new CooperativeStickyAssignor(),
            ErrorPolicy = new ErrorPolicy
            {
                OnError = _ =>
                {
                    faultSeen.Set();
                    releaseFault.Wait(Timeout);
                },
            },
        });
        var bad = new RecordingHandler(1) { ThrowWhen = (e, _, _) => e.Value == 5 };
        var good = new RecordingHandler(1);
        GroupMember<TestEvent> failing = group.Join(bad.For("bad"), memberId: "a-bad");
        for (int i = 0; i < 10; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(faultSeen.Wait(Timeout));
        // Let the faulted member go on once the join's rebalance has started (it holds the group's lock by then,
        // so the group hears about the fault only after the join).
        long rebalances = group.RebalanceCount;
        var release = Task.Run(() =>
        {
            SpinWait.SpinUntil(() => group.RebalanceCount > rebalances, Timeout);
            releaseFault.Set();
        });
        GroupMember<TestEvent> survivor = group.Join(good.For("good"), memberId: "b-good");
        Assert.True(release.Wait(Timeout));

        Assert.True(good.WaitForCount(5, Timeout));
        Assert.Equal([0L, 1, 2, 3, 4], bad.Deliveries.Select(d => d.Offset));
        Assert.Equal([5L, 6, 7, 8, 9], good.Deliveries.Select(d => d.Offset));
        Assert.Equal(0, good.Overlaps + bad.Overlaps);
        Assert.Equal(MemberState.Running, survivor.State);
        Assert.True(SpinWait.SpinUntil(() => failing.State == MemberState.Faulted, Timeout));
    }
}
