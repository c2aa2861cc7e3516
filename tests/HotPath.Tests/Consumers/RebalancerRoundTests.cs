using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// The rounds of a rebalance as the assignor, the rebalance listener and the members see them: what each round asks
/// the assignor, which members it waits for, which partitions move (and in what order), and what a member that fails
/// on the way is reported with.
/// </summary>
public sealed class RebalancerRoundTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TopicPartition P0 = new("orders", 0);
    private static readonly TopicPartition P1 = new("orders", 1);

    private static Topic<TestEvent> CreateTopic(int partitions = 2) =>
        new(new TopicOptions { Name = "orders", PartitionCount = partitions, Capacity = 64 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    /// <summary>
    /// Cooperative: the assignor sees each member's owned partitions and the generation they were owned in (the one
    /// before the round's). A rebalance whose moves all complete in its first round (an assignor that hands a revoked
    /// partition to its new owner at once) takes one round: one generation, one assignor call. A rebalance left with
    /// no member does not call the assignor.
    /// </summary>
    [Fact]
    public void Rebalance_Cooperative_AssignorSeesOwnedPartitionsAndPreviousGenerationOncePerRound()
    {
        using var topic = CreateTopic();
        var assignor = new RecordingAssignor(new RangeAssignor());
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "rounds",
            Assignor = assignor,
            Protocol = RebalanceProtocol.Cooperative,
        });

        GroupMember<TestEvent> a = group.Join(Idle(), "a");
        Assert.Equal(1, group.Generation);
        Subscription firstOfA = Assert.Single(assignor.Calls)["a"];
        Assert.Equal(0, firstOfA.Generation);
        Assert.NotNull(firstOfA.OwnedPartitions);
        Assert.Empty(firstOfA.OwnedPartitions);

        GroupMember<TestEvent> b = group.Join(Idle(), "b");
        Assert.Equal(2, group.Generation);
        Assert.Equal(2, assignor.Calls.Count);
        var second = assignor.Calls.Last();
        Assert.Equal((1, 1), (second["a"].Generation, second["b"].Generation));
        Assert.Equal([P0, P1], second["a"].OwnedPartitions!.OrderBy(p => p.Partition));
        Assert.Empty(second["b"].OwnedPartitions!);
        Assert.Equal([P0], a.Assignment);
        Assert.Equal([P1], b.Assignment);

        b.Leave();
        Assert.Equal(3, group.Generation);
        Assert.Equal(3, assignor.Calls.Count);
        Assert.Equal([P0], assignor.Calls.Last()["a"].OwnedPartitions!);

        a.Leave();
        Assert.Equal(4, group.Generation);
        Assert.Equal(3, assignor.Calls.Count);
    }

    /// <summary>
    /// Cooperative-sticky leaves a partition that changes owner unassigned in the round that revokes it: the
    /// follow-up round hands it out (two generations, two assignor calls).
    /// </summary>
    [Fact]
    public void Join_CooperativeSticky_RevokesInOneRoundAndAssignsInTheNext()
    {
        using var topic = CreateTopic();
        var assignor = new RecordingAssignor(new CooperativeStickyAssignor());
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "sticky-rounds",
            Assignor = assignor,
            Protocol = RebalanceProtocol.Cooperative,
        });
        GroupMember<TestEvent> a = group.Join(Idle(), "a");

        GroupMember<TestEvent> b = group.Join(Idle(), "b");

        Assert.Equal(3, group.Generation);
        Assert.Equal(3, assignor.Calls.Count);
        var followUp = assignor.Calls.Last();
        Assert.Equal((2, 2), (followUp["a"].Generation, followUp["b"].Generation));
        Assert.Single(followUp["a"].OwnedPartitions!);
        Assert.Empty(followUp["b"].OwnedPartitions!);
        Assert.Single(a.Assignment);
        Assert.Single(b.Assignment);
    }

    /// <summary>Eager: every member gives up everything before the assignor runs, so no subscription reports owned partitions.</summary>
    [Fact]
    public void Rebalance_Eager_AssignorSeesNoOwnedPartitions()
    {
        using var topic = CreateTopic();
        var assignor = new RecordingAssignor(new RangeAssignor());
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "eager-rounds", Assignor = assignor });

        group.Join(Idle(), "a");
        group.Join(Idle(), "b");

        Assert.Equal(2, group.Generation);
        Assert.Equal(2, assignor.Calls.Count);
        Assert.All(assignor.Calls.SelectMany(c => c.Values), s => Assert.Null(s.OwnedPartitions));
    }

    /// <summary>
    /// Cooperative: a rebalance that revokes nothing ends after its first round, even when the assignor leaves a
    /// partition unassigned (the contract allows it).
    /// </summary>
    [Fact]
    public void Rebalance_CooperativeNothingRevokedAndAPartitionLeftOut_EndsAfterOneRound()
    {
        using var topic = CreateTopic();
        var assignor = new RecordingAssignor(new FirstPartitionOnlyAssignor());
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "partial",
            Assignor = assignor,
            Protocol = RebalanceProtocol.Cooperative,
        });

        group.Join(Idle(), "a");

        Assert.Single(assignor.Calls);
        Assert.Equal(1, group.Generation);
        Assert.Equal("a", group.GetOwner("orders", 0));
        Assert.Null(group.GetOwner("orders", 1));
    }

    /// <summary>Cooperative: a member gives up only the partitions that move; the one it keeps is never revoked.</summary>
    [Fact]
    public void Join_Cooperative_OnlyTheMovingPartitionIsRevoked()
    {
        using var topic = CreateTopic();
        var listener = new RecordingListener();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "sticky", RebalanceListener = listener });
        group.Join(Idle(), "a");

        group.Join(Idle(), "b");

        TopicPartition moved = Assert.Single(group.Assignment["b"]);
        TopicPartition kept = Assert.Single(group.Assignment["a"]);
        Assert.NotEqual(moved, kept);
        Assert.Equal([("revoked", "a", moved)], listener.Calls.Where(c => c.Kind == "revoked"));
        Assert.Equal([("assigned", "b", moved)], listener.Calls.Where(c => c.Member == "b"));
    }

    /// <summary>
    /// A member declared failed while the rebalance waited for its revoke (stuck in its handler past the session
    /// time-out) is not asked again in the same round: the join completes after the session time-out, long before the
    /// rebalance time-out, and the new member owns everything.
    /// </summary>
    [Fact]
    public void Join_OwnerStuckDuringRevoke_FailedOnceAndNotWaitedForAgain()
    {
        using var topic = CreateTopic();
        using var inside = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "stuck-owner",
            SessionTimeout = TimeSpan.FromMilliseconds(300),
            RebalanceTimeout = TimeSpan.FromSeconds(60),
        });
        try
        {
            GroupMember<TestEvent> a = group.Join(
                new ActionHandler((_, _, _, _) =>
                {
                    inside.Set();
                    gate.Wait(Timeout);
                }),
                "a");
            topic.PublishTo(0, new TestEvent(0));
            Assert.True(inside.Wait(Timeout));

            Task<GroupMember<TestEvent>> joining = Task.Run(() => group.Join(Idle(), "b"));

            Assert.True(joining.Wait(TimeSpan.FromSeconds(20)), "the join waited for the failed member again (up to the 60 s rebalance time-out)");
            Assert.Equal(MemberState.Failed, a.State);
            Assert.Equal([P0, P1], joining.Result.Assignment.OrderBy(p => p.Partition));
        }
        finally
        {
            gate.Set();
        }
    }

    /// <summary>
    /// A member whose assignment does not change is not asked anything: a join does not wait for it while it is busy
    /// in its handler, so it is not fenced for missing the rebalance time-out.
    /// </summary>
    [Fact]
    public void Join_MemberWithUnchangedAssignmentBusy_NeitherWaitedForNorFenced()
    {
        using var topic = CreateTopic();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var inside = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "unchanged",
            RebalanceTimeout = TimeSpan.FromSeconds(2),
            SessionTimeout = TimeSpan.FromSeconds(30),
            OnMemberFailed = failures.Enqueue,
        });
        try
        {
            GroupMember<TestEvent> x = group.Join(
                new ActionHandler((_, _, _, _) =>
                {
                    inside.Set();
                    gate.Wait(Timeout);
                }),
                "x");
            group.Join(Idle(), "y");
            TopicPartition ofX = Assert.Single(x.Assignment);
            topic.PublishTo(ofX.Partition, new TestEvent(0));
            Assert.True(inside.Wait(Timeout));

            GroupMember<TestEvent> z = group.Join(Idle(), "z");

            Assert.Empty(z.Assignment);
            Assert.Equal(MemberState.Running, x.State);
            Assert.Equal("x", group.GetOwner("orders", ofX.Partition));
            Assert.Empty(failures);
        }
        finally
        {
            gate.Set();
        }
    }

    /// <summary>An assignor that returns a partition the group does not read makes the join throw, naming the assignor, the partition and the member.</summary>
    [Fact]
    public void Join_AssignorReturnsUnknownPartition_ThrowsNamingAssignorPartitionAndMember()
    {
        using var topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "bogus", Assignor = new UnknownPartitionAssignor() });

        var error = Assert.Throws<InvalidOperationException>(() => group.Join(Idle(), "m"));

        Assert.Contains("assignor 'unknown-partition' returned orders-7 for member 'm', which is unknown or already assigned", error.Message);
    }

    /// <summary>
    /// An old owner whose thread ends during a rebalance (its revoke callback threw) is declared failed with that
    /// exception, as <see cref="ConsumerGroupOptions.OnMemberFailed"/> reports it.
    /// </summary>
    [Fact]
    public void Join_OldOwnersRevokeCallbackThrows_FailureCarriesTheCallbacksException()
    {
        using var topic = CreateTopic();
        var listener = new ThrowingRevokeListener("a");
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "revoke-throws",
            RebalanceListener = listener,
            OnMemberFailed = failures.Enqueue,
        });
        GroupMember<TestEvent> a = group.Join(Idle(), "a");
        listener.Armed = true;

        GroupMember<TestEvent> b = group.Join(Idle(), "b");

        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout));
        MemberFailure failure = Assert.Single(failures);
        Assert.Equal("a", failure.MemberId);
        Assert.Same(listener.Thrown, failure.Error);
        Assert.Same(listener.Thrown, a.Fault);
        Assert.Equal([P0, P1], b.Assignment.OrderBy(p => p.Partition));
    }

    /// <summary>
    /// Dispose keeps one deadline: when a cancellation callback of a member's handler runs past it, the wait for the
    /// member's thread is simply over (no negative time-out, no exception).
    /// </summary>
    [Fact]
    public void Dispose_CancellationCallbackOutlastsShutdownTimeout_ReturnsWithoutThrowing()
    {
        using var topic = CreateTopic(partitions: 1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var inside = new ManualResetEventSlim();
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "slow-cancel",
            ShutdownTimeout = TimeSpan.FromMilliseconds(50),
            SessionTimeout = TimeSpan.FromSeconds(30),
        });
        group.Join(new SlowCancellationHandler(gate.Task, inside, TimeSpan.FromMilliseconds(300)));
        topic.PublishTo(0, new TestEvent(0));
        Assert.True(inside.Wait(Timeout));

        Exception? error = Record.Exception(group.Dispose);
        gate.SetResult();

        Assert.Null(error);
    }

    /// <summary>Records what the assignor was asked, then lets another assignor answer.</summary>
    private sealed class RecordingAssignor(IPartitionAssignor inner) : IPartitionAssignor
    {
        public ConcurrentQueue<Dictionary<string, Subscription>> Calls { get; } = new();

        public string Name => inner.Name;

        public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
            IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, Subscription> subscriptions)
        {
            Calls.Enqueue(new Dictionary<string, Subscription>(subscriptions, StringComparer.Ordinal));
            return inner.Assign(partitionsPerTopic, subscriptions);
        }
    }

    /// <summary>Gives partition 0 of each topic to the first member (ordinal order) and leaves the others unassigned.</summary>
    private sealed class FirstPartitionOnlyAssignor : IPartitionAssignor
    {
        public string Name => "first-partition-only";

        public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
            IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, Subscription> subscriptions)
        {
            string first = subscriptions.Keys.Order(StringComparer.Ordinal).First();
            return subscriptions.Keys.ToDictionary(
                m => m,
                m => (IReadOnlyList<TopicPartition>)(m == first ? [.. partitionsPerTopic.Keys.Select(t => new TopicPartition(t, 0))] : []),
                StringComparer.Ordinal);
        }
    }

    /// <summary>Gives every member a partition the group does not read.</summary>
    private sealed class UnknownPartitionAssignor : IPartitionAssignor
    {
        public string Name => "unknown-partition";

        public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
            IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, Subscription> subscriptions) =>
            subscriptions.Keys.ToDictionary(m => m, _ => (IReadOnlyList<TopicPartition>)[new TopicPartition("orders", 7)], StringComparer.Ordinal);
    }

    /// <summary>Once armed, throws from the revoke callback of one member.</summary>
    private sealed class ThrowingRevokeListener(string memberId) : IRebalanceListener
    {
        public volatile bool Armed;

        public InvalidOperationException Thrown { get; } = new("revoke callback failed");

        public void OnPartitionsAssigned(string member, IReadOnlyList<TopicPartition> partitions)
        {
        }

        public void OnPartitionsRevoked(string member, IReadOnlyList<TopicPartition> partitions)
        {
            if (Armed && member == memberId)
            {
                throw Thrown;
            }
        }

        public void OnPartitionsLost(string member, IReadOnlyList<TopicPartition> partitions)
        {
        }
    }

    /// <summary>Waits for a task it cannot cancel; registers a cancellation callback that takes its time.</summary>
    private sealed class SlowCancellationHandler(Task gate, ManualResetEventSlim inside, TimeSpan callbackTime) : IAsyncEventHandler<TestEvent>
    {
        public async ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            using CancellationTokenRegistration registration = cancellationToken.Register(() => Thread.Sleep(callbackTime));
            inside.Set();
            await gate;
        }
    }
}
