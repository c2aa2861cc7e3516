using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>A rebalance in which members fail one round after another still ends with every partition owned by a live member.</summary>
public sealed class RebalanceCascadeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Topic<TestEvent> CreateTopic(int partitions = 2) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64 });

    /// <summary>
    /// Defect: a rebalance ran at most three rounds, so when a member failed in each of them (here three successive new
    /// owners miss the rebalance time-out in their assign callback) the partition was left without an owner although
    /// a live member remained, and no later check handed it out: its events waited for the next join or leave.
    /// </summary>
    [Fact]
    public void Leave_NewOwnerFailsInEveryRound_TheLastLiveMemberStillGetsThePartition()
    {
        using var topic = CreateTopic(partitions: 1);
        using var gate = new ManualResetEventSlim();
        var listener = new BlockingAssignListener(gate, "b", "c", "d");
        var failures = new ConcurrentQueue<MemberFailure>();
        var handled = new ConcurrentQueue<(string Member, long Offset)>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "cascade",
            Assignor = new RangeAssignor(),
            RebalanceListener = listener,
            RebalanceTimeout = TimeSpan.FromMilliseconds(500),
            SessionTimeout = TimeSpan.FromSeconds(30),
            OnMemberFailed = failures.Enqueue,
        });
        try
        {
            var members = new[] { "a", "b", "c", "d", "e" }.Select(id =>
                group.Join(new ActionHandler((_, _, offset, _) => handled.Enqueue((id, offset))), id)).ToList();
            Assert.Equal("a", group.GetOwner("orders", 0));
            listener.Armed = true;

            members[0].Leave();

            Assert.Equal("e", group.GetOwner("orders", 0));
            Assert.True(SpinWait.SpinUntil(() => failures.Count == 3, Timeout), $"{failures.Count} failures reported");
            Assert.Equal(["b", "c", "d"], failures.Select(f => f.MemberId).Order(StringComparer.Ordinal));
            Assert.All(failures, f => Assert.Contains(
                $"member '{f.MemberId}' did not reach a safe point before the rebalance or shutdown deadline", Assert.IsType<TimeoutException>(f.Error).Message));
            topic.PublishTo(0, new TestEvent(0));
            Assert.True(SpinWait.SpinUntil(() => !handled.IsEmpty, Timeout), "nobody handled the partition's event");
            Assert.Equal([("e", 0L)], handled);
        }
        finally
        {
            gate.Set();
        }
    }

    /// <summary>Once armed, blocks the assign callbacks of the given members until the gate opens.</summary>
    private sealed class BlockingAssignListener(ManualResetEventSlim gate, params string[] members) : IRebalanceListener
    {
        public volatile bool Armed;

        public void OnPartitionsAssigned(string member, IReadOnlyList<TopicPartition> partitions)
        {
            if (Armed && Array.IndexOf(members, member) >= 0)
            {
                gate.Wait(Timeout);
            }
        }

        public void OnPartitionsRevoked(string member, IReadOnlyList<TopicPartition> partitions)
        {
        }

        public void OnPartitionsLost(string member, IReadOnlyList<TopicPartition> partitions)
        {
        }
    }
}
