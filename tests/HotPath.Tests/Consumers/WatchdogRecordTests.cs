using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The session watchdog keeps a record per member (and with it the member's worker, handler and thread): once a
/// member is no longer in the group (it left, was declared failed, or faulted and was removed), the rebalance that
/// removed it leaves no record of it behind, so that a long-lived group with member churn does not grow.
/// </summary>
public sealed class WatchdogRecordTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static Topic<TestEvent> CreateTopic(string name, int partitions) =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = 64 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    /// <summary>
    /// Fifty members join and leave a group with one long-lived member; each leaving member takes longer than one wait
    /// slice of its leave's rebalance to revoke (its revoke callback is slow), so that rebalance asks the watchdog about
    /// it. Afterwards the watchdog holds a record of the long-lived member at most.
    /// </summary>
    [Fact]
    public void Leave_FiftyJoinLeaveCycles_WatchdogKeepsNoRecordOfLeftMembers()
    {
        using var topic = CreateTopic("churn", partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "churn",
            RebalanceListener = new SlowRevokeListener("churn-"),
        });
        group.Join(Idle(), memberId: "stays");

        for (int i = 0; i < 50; i++)
        {
            GroupMember<TestEvent> member = group.Join(Idle(), memberId: $"churn-{i}");
            member.Leave();
        }

        IReadOnlyList<string> recorded = group.TestWatchdogMemberIds();
        Assert.True(recorded.All(id => id == "stays"), $"{recorded.Count} records: {string.Join(", ", recorded)}");
    }

    /// <summary>
    /// A member stuck in its handler misses the deadline of a rebalance (well before its session time-out): it is
    /// fenced and removed, and the watchdog, which that rebalance asked about it while it waited, forgets it.
    /// </summary>
    [Fact]
    public void Join_MemberFencedAtTheRebalanceDeadline_WatchdogKeepsNoRecordOfIt()
    {
        using var topic = CreateTopic("fenced-at-deadline", partitions: 2);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "fenced-at-deadline",
            RebalanceTimeout = TimeSpan.FromMilliseconds(300),
            SessionTimeout = TimeSpan.FromSeconds(30),
        });
        GroupMember<TestEvent> stuck = group.Join(new ActionHandler((_, _, _, _) =>
        {
            entered.Set();
            release.Wait();
        }), memberId: "stuck");
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(entered.Wait(Timeout), "the handler was called");
        try
        {
            group.Join(Idle(), memberId: "joiner");

            Assert.Equal(MemberState.Failed, stuck.State);
            IReadOnlyList<string> recorded = group.TestWatchdogMemberIds();
            Assert.DoesNotContain("stuck", recorded);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>
    /// A member the watchdog has a record of faults (its handler throws) and the group removes it in the background:
    /// once its failure is reported, the watchdog holds no record of it.
    /// </summary>
    [Fact]
    public void HandlerThrows_FaultedMemberRemoved_WatchdogKeepsNoRecordOfIt()
    {
        using var topic = CreateTopic("faulted-record", partitions: 2);
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "faulted-record",
            // The watchdog ticks every 100 ms.
            SessionTimeout = TimeSpan.FromMilliseconds(400),
            OnMemberFailed = failures.Enqueue,
        });
        group.Join(Idle(), memberId: "good");
        group.Join(new ActionHandler((e, _, _, _) => throw new InvalidOperationException("handler failure")), memberId: "bad");
        int badPartition = Assert.Single(group.Assignment["bad"]).Partition;
        Assert.True(SpinWait.SpinUntil(() => group.TestWatchdogMemberIds().Contains("bad"), Timeout), "the watchdog checked the member");

        topic.PublishTo(badPartition, new TestEvent(1));

        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout), "the fault was reported");
        Assert.Equal("bad", Assert.Single(failures).MemberId);
        IReadOnlyList<string> recorded = group.TestWatchdogMemberIds();
        Assert.DoesNotContain("bad", recorded);
    }

    /// <summary>Makes the revoke callback of the members whose id starts with a prefix take 40 ms (two wait slices).</summary>
    private sealed class SlowRevokeListener(string prefix) : IRebalanceListener
    {
        public void OnPartitionsRevoked(string memberId, IReadOnlyList<TopicPartition> partitions)
        {
            if (memberId.StartsWith(prefix, StringComparison.Ordinal))
            {
                Thread.Sleep(40);
            }
        }

        public void OnPartitionsAssigned(string memberId, IReadOnlyList<TopicPartition> partitions)
        {
        }

        public void OnPartitionsLost(string memberId, IReadOnlyList<TopicPartition> partitions)
        {
        }
    }
}
