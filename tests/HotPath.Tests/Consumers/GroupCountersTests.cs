using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>Counters and callbacks say what happened: handled is handled, lost is lost, a gap is no event.</summary>
public class GroupCountersTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void HandledCount_LossyGroupLapped_CountsHandlerCallsOnly()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "ticks", Capacity = 8, PublishMode = PublishMode.SingleWriter });
        using var entered = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var handler = new ActionHandler((_, _, offset, _) =>
        {
            if (offset == 0)
            {
                entered.Set();
                gate.Wait();
            }
        });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "monitor", Lossy = true });
        var member = group.Join(handler);

        topic.PublishTo(0, new TestEvent(0));
        Assert.True(entered.Wait(Timeout));
        for (int i = 1; i < 100; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        gate.Set();
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("ticks", 0) == 100, Timeout));
        var stats = Assert.Single(group.GetStats());
        Assert.True(stats.Lost > 0, "the writer lapped the blocked handler");
        Assert.Equal(100, stats.Handled + stats.Lost);
        Assert.Equal(handler.Calls, stats.Handled);
        SpinWait.SpinUntil(() => member.HandledCount == handler.Calls, TimeSpan.FromSeconds(5));
        Assert.Equal(handler.Calls, member.HandledCount);
    }

    [Fact]
    public void GetStats_AbandonedMultiWriterClaim_GapNotCountedAsHandled()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 16, PublishMode = PublishMode.MultiWriter });
        var handler = new ActionHandler((_, _, _, _) => { });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g" });
        var member = group.Join(handler);

        topic.PublishTo(0, new TestEvent(0));
        using (topic[0].Claim())
        {
            // Abandoned: offset 1 becomes a gap.
        }

        topic.PublishTo(0, new TestEvent(2));

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 3, Timeout));
        var stats = Assert.Single(group.GetStats());
        Assert.Equal(2, handler.Calls);
        Assert.Equal(2, stats.Handled);
        Assert.Equal(1, stats.Gaps);
        SpinWait.SpinUntil(() => member.HandledCount >= 2, TimeSpan.FromSeconds(5));
        Assert.Equal(2, member.HandledCount);
    }

    [Fact]
    public void RebalanceListener_MemberFencedForHang_GetsPartitionsLostNotRevoked()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "orders", Capacity = 16 });
        var listener = new RecordingListener();
        using var entered = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var handler = new ActionHandler((_, _, _, _) =>
        {
            entered.Set();
            gate.Wait();
        });
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "g",
            SessionTimeout = TimeSpan.FromMilliseconds(300),
            RebalanceListener = listener,
        });
        var member = group.Join(handler, "hung");

        topic.PublishTo(0, new TestEvent(0));
        Assert.True(entered.Wait(Timeout));
        Assert.True(SpinWait.SpinUntil(() => member.State == MemberState.Failed, Timeout), $"state {member.State}");
        gate.Set();

        var p0 = new TopicPartition("orders", 0);
        Assert.True(SpinWait.SpinUntil(() => listener.Calls.Any(c => c.Member == "hung" && c.Kind != "assigned"), Timeout));
        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout));
        Assert.Contains(("lost", "hung", p0), listener.Calls);
        Assert.DoesNotContain(("revoked", "hung", p0), listener.Calls);
    }
}
