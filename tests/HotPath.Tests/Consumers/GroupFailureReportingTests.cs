using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// Which member losses a group reports (OnMemberFailed, the stranded state behind Completion) and which it does not,
/// what happens to a faulted member's thread, and what the group's background work records.
/// </summary>
/// <remarks>
/// Some tests check that something does NOT happen: they watch for it during a short window. On correct code the
/// condition never becomes true, so the window cannot make them flaky; it only bounds how long a wrong implementation
/// has to show itself.
/// </remarks>
public sealed class GroupFailureReportingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan QuietWindow = TimeSpan.FromMilliseconds(300);

    private static Topic<TestEvent> CreateTopic(string name, int partitions = 1) =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = 64 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    private static bool StaysFalse(Func<bool> condition, TimeSpan window) => !SpinWait.SpinUntil(condition, window);

    /// <summary>
    /// The fencing test hook acts as the watchdog does: the other member owns every partition when it returns, and the
    /// failure is reported with a TimeoutException that names the fenced member.
    /// </summary>
    [Fact]
    public void TestFence_OneOfTwoMembers_OtherOwnsEverythingAndFailureNamesTheMember()
    {
        using var topic = CreateTopic("fence-hook", partitions: 2);
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "fence-hook", OnMemberFailed = failures.Enqueue });
        GroupMember<TestEvent> fenced = group.Join(Idle(), memberId: "fenced");
        group.Join(Idle(), memberId: "other");

        group.TestFence(fenced);

        Assert.Equal("other", group.GetOwner("fence-hook", 0));
        Assert.Equal("other", group.GetOwner("fence-hook", 1));
        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout), "the fence was reported");
        MemberFailure failure = Assert.Single(failures);
        Assert.Equal("fenced", failure.MemberId);
        var error = Assert.IsType<TimeoutException>(failure.Error);
        Assert.Contains("'fenced'", error.Message);
    }

    /// <summary>A member whose handler threw (default policy: stop the member) leaves the group and its thread ends.</summary>
    [Fact]
    public void HandlerThrows_DefaultPolicy_FaultedMemberLeavesAndItsThreadEnds()
    {
        using var topic = CreateTopic("fault-ends");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "fault-ends" });
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, _, _) => throw new InvalidOperationException("handler failure")));

        topic.PublishTo(0, new TestEvent(1));

        Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout), $"the faulted member's thread ended (state {member.State})");
        Assert.Equal(MemberState.Faulted, member.State);
        Assert.Empty(group.Members);
    }

    /// <summary>
    /// A member fenced while stuck in its handler, whose handler then throws, was already reported: the late fault is
    /// neither reported again nor the cause of another rebalance.
    /// </summary>
    [Fact]
    public void TestFence_HandlerThrowsAfterTheFence_ReportedOnceAndNoFurtherRebalance()
    {
        using var topic = CreateTopic("fence-then-throw");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "fence-then-throw", OnMemberFailed = failures.Enqueue });
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, _, _) =>
        {
            entered.Set();
            release.Wait();
            throw new InvalidOperationException("failure after the fence");
        }));
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(entered.Wait(Timeout), "the handler was called");
        try
        {
            group.TestFence(member);
            Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout), "the fence was reported");
            long rebalances = group.RebalanceCount;

            release.Set();

            // The member tells the group of its fault before its thread ends.
            Assert.True(SpinWait.SpinUntil(() => member.Worker.HasExited, Timeout));
            Assert.True(
                StaysFalse(() => failures.Count > 1 || group.RebalanceCount != rebalances, QuietWindow),
                $"the late fault was handled again: {failures.Count} reports, {group.RebalanceCount - rebalances} more rebalances");
            Assert.Equal(MemberState.Failed, member.State);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>An exception thrown by the rebalance that follows a fault (here: the assignor's) is kept in BackgroundError.</summary>
    [Fact]
    public void HandlerThrows_AssignorThrowsInTheFollowingRebalance_RecordedAsBackgroundError()
    {
        using var topic = CreateTopic("assignor-throws", partitions: 2);
        var assignor = new FailingAssignor();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "assignor-throws", Assignor = assignor });
        group.Join(Idle(), memberId: "good");
        group.Join(new ActionHandler((e, _, _, _) =>
        {
            if (e.Value == 13)
            {
                throw new InvalidOperationException("handler failure");
            }
        }), memberId: "bad");
        int badPartition = Assert.Single(group.Assignment["bad"]).Partition;
        assignor.Fail = true;

        topic.PublishTo(badPartition, new TestEvent(13));

        Assert.True(SpinWait.SpinUntil(() => group.BackgroundError is not null, Timeout), "the background rebalance's error was recorded");
        Assert.Same(assignor.Thrown, group.BackgroundError);
    }

    /// <summary>
    /// A group over two topics whose first topic drained keeps running while the second is open: it does not end its
    /// members, and a member that then faults is reported as the group's loss.
    /// </summary>
    [Fact]
    public void OnPartitionDrained_OneOfTwoTopicsDrained_GroupKeepsRunningAndReportsALaterFault()
    {
        using var drained = CreateTopic("drained-first");
        using var open = CreateTopic("still-open");
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>([drained, open], new ConsumerGroupOptions { GroupId = "one-drained", OnMemberFailed = failures.Enqueue });
        drained.PublishTo(0, new TestEvent(1));
        drained.Complete();
        GroupMember<TestEvent> member = group.Join(new ActionHandler((e, _, _, _) =>
        {
            if (e.Value == 99)
            {
                throw new InvalidOperationException("failure on the open topic");
            }
        }));
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("drained-first", 0) == 1, Timeout));
        // Each pass of an idle member tells the group about the drained partition: once it parks, it has done so.
        Assert.True(SpinWait.SpinUntil(() => member.Worker.IsParked, Timeout));

        open.PublishTo(0, new TestEvent(99));

        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout), "the fault was reported: the group had not ended");
        MemberFailure failure = Assert.Single(failures);
        Assert.Equal(MemberState.Faulted, failure.State);
        Assert.Equal(0, failure.RemainingMembers);
        Assert.False(group.Completion.IsCompleted);
    }

    /// <summary>
    /// The session watchdog skips its ticks while a rebalance holds the group (here a join waits a session time-out for a
    /// member stuck in its handler): the skipped ticks leave no background error.
    /// </summary>
    [Fact]
    public void Join_WatchdogTicksDuringALongRebalance_NoBackgroundError()
    {
        using var topic = CreateTopic("tick-during-rebalance", partitions: 2);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "tick-during-rebalance",
            // Ticks every 100 ms: the join below holds the group for about four of them.
            SessionTimeout = TimeSpan.FromMilliseconds(400),
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
            Assert.Null(group.BackgroundError);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>
    /// A join whose new member is removed before it took any partition throws a TimeoutException naming the member and
    /// the group, and is not reported as a member failure (the caller learns it from the exception).
    /// </summary>
    [Fact]
    public void Join_NewMemberRemovedBeforeTakingPartitions_ThrowsAndIsNotReportedAsFailure()
    {
        using var topic = CreateTopic("join-removed", partitions: 2);
        using var release = new ManualResetEventSlim();
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "join-removed",
            RebalanceTimeout = TimeSpan.FromMilliseconds(500),
            RebalanceListener = new AssignBlockingListener("late", release),
            OnMemberFailed = failures.Enqueue,
        });
        group.Join(Idle(), memberId: "first");
        try
        {
            var ex = Assert.Throws<TimeoutException>(() => group.Join(Idle(), memberId: "late"));

            Assert.Contains("member 'late'", ex.Message);
            Assert.Contains("group 'join-removed'", ex.Message);
            Assert.Contains("did not take its partitions", ex.Message);
            Assert.True(StaysFalse(() => !failures.IsEmpty, QuietWindow), $"reported: {string.Join(" / ", failures)}");
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>A member fenced by Dispose (stuck past the shutdown time-out) stops on purpose: it is not reported.</summary>
    [Fact]
    public void Dispose_MemberStuckInHandler_FencedButNotReportedAsFailure()
    {
        using var topic = CreateTopic("dispose-stuck");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var failures = new ConcurrentQueue<MemberFailure>();
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "dispose-stuck",
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            OnMemberFailed = failures.Enqueue,
        });
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, _, _) =>
        {
            entered.Set();
            release.Wait();
        }));
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(entered.Wait(Timeout), "the handler was called");
        try
        {
            group.Dispose();

            Assert.Equal(MemberState.Failed, member.State);
            Assert.True(StaysFalse(() => !failures.IsEmpty, QuietWindow), $"reported: {string.Join(" / ", failures)}");
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>
    /// A group that lost its last member is no longer stranded once a new member joined: when that member then leaves on
    /// its own and the topic completes with an event unhandled, Completion does not fault (the group waits for a
    /// member, as any group without members does).
    /// </summary>
    [Fact]
    public void Join_AfterTheLastMemberFaulted_GroupNoLongerStranded()
    {
        var rebalanceTimeout = TimeSpan.FromSeconds(1);
        using var topic = CreateTopic("rejoined");
        var failures = new ConcurrentQueue<MemberFailure>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "rejoined",
            // The stranded grace; the watchdog ticks every 100 ms.
            RebalanceTimeout = rebalanceTimeout,
            SessionTimeout = TimeSpan.FromMilliseconds(400),
            OnMemberFailed = failures.Enqueue,
        });
        topic.PublishTo(0, new TestEvent(13));
        group.Join(new ActionHandler((e, _, _, _) =>
        {
            if (e.Value == 13)
            {
                throw new InvalidOperationException("handler failure");
            }
        }), memberId: "failing");
        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, Timeout), "the last member's fault was reported");
        GroupMember<TestEvent> replacement = group.Join(Idle(), memberId: "replacement");
        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("rejoined", 0) == 1, Timeout));
        replacement.Leave();

        topic.PublishTo(0, new TestEvent(2));
        topic.Complete();

        // A stranded group would fault one rebalance time-out after its last failure, which is already in the past.
        Assert.True(
            StaysFalse(() => group.Completion.IsCompleted, rebalanceTimeout + TimeSpan.FromMilliseconds(500)),
            $"Completion is {group.Completion.Status}: {group.Completion.Exception?.InnerException?.Message}");
    }

    /// <summary>Blocks the assignment callback of one member until released.</summary>
    private sealed class AssignBlockingListener(string memberId, ManualResetEventSlim release) : IRebalanceListener
    {
        public void OnPartitionsAssigned(string member, IReadOnlyList<TopicPartition> partitions)
        {
            if (member == memberId)
            {
                release.Wait();
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
