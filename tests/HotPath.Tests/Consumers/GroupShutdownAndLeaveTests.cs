using System.Runtime.CompilerServices;
using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// What Dispose, Leave and the end of a drained group leave behind: members stopped and gone, Completion settled,
/// async handlers cancelled, no thread that keeps the group alive, and a second Leave that changes nothing.
/// </summary>
public sealed class GroupShutdownAndLeaveTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static Topic<TestEvent> CreateTopic(string name, int partitions = 1) =>
        new(new TopicOptions { Name = name, PartitionCount = partitions, Capacity = 64 });

    private static ActionHandler Idle() => new((_, _, _, _) => { });

    /// <summary>
    /// When Dispose returns, every member's thread has ended (each is Stopped), the group lists no member and no
    /// assignment, and <see cref="ConsumerGroup{T}.Completion"/> is canceled.
    /// </summary>
    [Fact]
    public void Dispose_IdleMembers_AllStoppedNoneListedAndCompletionCanceled()
    {
        using var topic = CreateTopic("dispose-idle", partitions: 4);
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "dispose-idle" });
        List<GroupMember<TestEvent>> members = [.. Enumerable.Range(0, 4).Select(i => group.Join(Idle(), memberId: $"m{i}"))];

        group.Dispose();

        Assert.All(members, m => Assert.Equal(MemberState.Stopped, m.State));
        Assert.Empty(group.Members);
        Assert.Empty(group.Assignment);
        Assert.True(group.Completion.IsCanceled, $"Completion is {group.Completion.Status}");
    }

    /// <summary>Dispose cancels the token that async handlers receive.</summary>
    [Fact]
    public void Dispose_AsyncMember_CancelsTheHandlersToken()
    {
        using var topic = CreateTopic("dispose-async");
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "dispose-async" });
        var handler = new TokenKeepingHandler();
        group.Join(handler);
        topic.PublishTo(0, new TestEvent(1));
        Assert.True(handler.Called.Wait(Timeout), "the async handler was called");
        Assert.False(handler.Token.IsCancellationRequested);

        group.Dispose();

        Assert.True(handler.Token.IsCancellationRequested);
    }

    /// <summary>
    /// A disposed group is not kept alive by anything it started (its session watchdog's thread, its members'
    /// threads): nothing references it once its owner lets go.
    /// </summary>
    [Fact]
    public void Dispose_GroupWithMember_GroupBecomesCollectable()
    {
        using var topic = CreateTopic("dispose-collect");
        WeakReference group = CreateJoinAndDispose(topic);

        bool collected = SpinWait.SpinUntil(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                return !group.IsAlive;
            },
            Timeout);

        Assert.True(collected, "something the disposed group started still references it");
    }

    /// <summary>Leave is idempotent: a second call runs no rebalance and leaves the assignment as it was.</summary>
    [Fact]
    public void Leave_Twice_SecondCallRunsNoRebalance()
    {
        using var topic = CreateTopic("leave-twice", partitions: 2);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "leave-twice" });
        GroupMember<TestEvent> leaving = group.Join(Idle(), memberId: "leaving");
        group.Join(Idle(), memberId: "staying");
        leaving.Leave();
        long rebalances = group.RebalanceCount;
        int generation = group.Generation;

        leaving.Leave();

        Assert.Equal(rebalances, group.RebalanceCount);
        Assert.Equal(generation, group.Generation);
        Assert.Equal(2, group.Assignment["staying"].Count);
        Assert.Equal(MemberState.Stopped, leaving.State);
    }

    /// <summary>
    /// Leave of a member stuck in its handler returns once the member is fenced (after the session time-out): it
    /// does not then wait for the stuck handler, which may never return.
    /// </summary>
    [Fact]
    public void Leave_MemberStuckInHandler_ReturnsOnceFencedWithoutWaitingForTheHandler()
    {
        using var topic = CreateTopic("leave-stuck");
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "leave-stuck",
            SessionTimeout = TimeSpan.FromSeconds(1),
            // Far longer than the test waits: a Leave that waited this long for the thread would fail the test.
            RebalanceTimeout = TimeSpan.FromMinutes(2),
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
            var leave = Task.Factory.StartNew(member.Leave, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            Assert.True(leave.Wait(Timeout), "Leave returned while the handler was still stuck");
            Assert.Equal(MemberState.Failed, member.State);
            Assert.Empty(group.Members);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>
    /// A group whose topic is complete and fully committed completes, and by then its members have left: each is
    /// Stopped and none is listed.
    /// </summary>
    [Fact]
    public void Completion_TopicDrained_MembersStoppedWhenItCompletes()
    {
        using var topic = CreateTopic("drain-stop", partitions: 4);
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "drain-stop",
            // Bounds how long a wrong implementation waits for members it never asked to stop.
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        List<GroupMember<TestEvent>> members = [.. Enumerable.Range(0, 4).Select(i => group.Join(Idle(), memberId: $"m{i}"))];
        for (int partition = 0; partition < 4; partition++)
        {
            topic.PublishTo(partition, new TestEvent(partition));
        }

        topic.Complete();

        Assert.True(group.Completion.Wait(Timeout), "the drained group completed");
        Assert.All(members, m => Assert.Equal(MemberState.Stopped, m.State));
        Assert.Empty(group.Members);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CreateJoinAndDispose(Topic<TestEvent> topic)
    {
        var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "dispose-collect" });
        group.Join(Idle());
        topic.PublishTo(0, new TestEvent(1));
        SpinWait.SpinUntil(() => group.GetCommittedOffset("dispose-collect", 0) == 1, Timeout);
        group.Dispose();
        return new WeakReference(group);
    }

    /// <summary>An async handler that keeps the token of its first call.</summary>
    private sealed class TokenKeepingHandler : IAsyncEventHandler<TestEvent>
    {
        public ManualResetEventSlim Called { get; } = new();

        public CancellationToken Token { get; private set; }

        public ValueTask OnEventAsync(TestEvent @event, int partition, long offset, CancellationToken cancellationToken)
        {
            if (!Called.IsSet)
            {
                Token = cancellationToken;
                Called.Set();
            }

            return ValueTask.CompletedTask;
        }
    }
}
