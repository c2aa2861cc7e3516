using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers;

/// <summary>
/// <see cref="ConsumerGroup{T}.Completion"/> completes once every topic is complete and the group committed everything,
/// also when the group has no member then: its last member left on its own (before or after the topics completed), it
/// never had one, or it was created over topics already complete. Each path reaches it, not only a member's pass.
/// </summary>
public sealed class GroupDrainWithoutMembersTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A session time-out whose watchdog tick (a quarter of it) comes long after <see cref="Timeout"/>.</summary>
    private static readonly TimeSpan NoWatchdogTick = TimeSpan.FromMinutes(2);

    private static Topic<TestEvent> CreateTopic(string name) => new(new TopicOptions { Name = name, Capacity = 64 });

    private static void AssertCompletes(ConsumerGroup<TestEvent> group, string because)
    {
        Assert.True(group.Completion.Wait(Timeout), $"Completion is {group.Completion.Status}: {because}");
        Assert.True(group.Completion.IsCompletedSuccessfully, $"Completion is {group.Completion.Status}");
    }

    /// <summary>
    /// The last member handled and committed everything and left; then the topic completes: the memberless group has
    /// drained and completes (the watchdog's tick notices it: no member's pass is left to).
    /// </summary>
    [Fact]
    public void Completion_LastMemberLeftThenTopicCompletes_Completes()
    {
        using var topic = CreateTopic("drain-left-then-complete");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "drain-left-then-complete",
            SessionTimeout = TimeSpan.FromMilliseconds(200),
        });
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, _, _) => { }));
        for (int i = 0; i < 3; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("drain-left-then-complete", 0) == 3, Timeout), "the member committed the three events");
        member.Leave();
        Assert.False(group.Completion.IsCompleted, "the topic is still open");

        topic.Complete();

        AssertCompletes(group, "the topic completed after the last member left, everything committed");
    }

    /// <summary>
    /// The topic completes while the last member is inside its handler on the last event; the member then leaves before
    /// any pass of its own sees the group drained (the leave's revocation comes first): the leave completes the group.
    /// The watchdog's tick is far away, so only the leave can.
    /// </summary>
    [Fact]
    public void Completion_LastMemberLeavesAfterTopicCompleted_LeaveCompletesTheGroup()
    {
        using var topic = CreateTopic("drain-complete-then-left");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "drain-complete-then-left",
            SessionTimeout = NoWatchdogTick,
        });
        using var inHandler = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        GroupMember<TestEvent> member = group.Join(new ActionHandler((_, _, offset, _) =>
        {
            if (offset == 2)
            {
                inHandler.Set();
                release.Wait(Timeout);
            }
        }));
        for (int i = 0; i < 3; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(inHandler.Wait(Timeout), "the member is handling the last event");
        topic.Complete();
        int before = member.Worker.TestRequestedVersion;
        Task leave = Task.Run(member.Leave);
        Assert.True(SpinWait.SpinUntil(() => member.Worker.TestRequestedVersion != before, Timeout), "the leave's revocation reached the member");
        release.Set();
        Assert.True(leave.Wait(Timeout), "the leave returned");

        Assert.Equal(3, group.GetCommittedOffset("drain-complete-then-left", 0));
        AssertCompletes(group, "the last member committed everything of a complete topic and left");
    }

    /// <summary>A group that never had a member, over a topic that completes with nothing published: it completes.</summary>
    [Fact]
    public void Completion_NeverHadMemberTopicCompletes_Completes()
    {
        using var topic = CreateTopic("drain-never-member");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "drain-never-member",
            SessionTimeout = TimeSpan.FromMilliseconds(200),
        });

        topic.Complete();

        AssertCompletes(group, "the topic completed, nothing to commit");
    }

    /// <summary>
    /// A group created over a topic already complete, starting at its end (Latest): nothing to commit, it completes at
    /// once. The watchdog's tick is far away, so only the constructor can complete it.
    /// </summary>
    [Fact]
    public void Completion_CreatedOverCompletedTopicAtItsEnd_Completes()
    {
        using var topic = CreateTopic("drain-created-complete");
        topic.PublishTo(0, new TestEvent(1));
        topic.Complete();

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "drain-created-complete",
            AutoOffsetReset = HotPath.Partitions.OffsetReset.Latest,
            SessionTimeout = NoWatchdogTick,
        });

        AssertCompletes(group, "created over a complete topic with nothing left to commit");
    }

    /// <summary>
    /// A group created over a topic already complete with events it has not committed (Earliest) has not drained: it stays
    /// pending until a member joins and handles them, then completes.
    /// </summary>
    [Fact]
    public void Completion_CreatedOverCompletedTopicWithEventsLeft_CompletesOnceAMemberHandledThem()
    {
        using var topic = CreateTopic("drain-created-events-left");
        topic.PublishTo(0, new TestEvent(1));
        topic.Complete();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions
        {
            GroupId = "drain-created-events-left",
            SessionTimeout = TimeSpan.FromMilliseconds(200),
        });
        Assert.False(group.Completion.IsCompleted, "one event is not committed");

        group.Join(new ActionHandler((_, _, _, _) => { }));

        AssertCompletes(group, "the member handled the last event");
        Assert.Equal(1, group.GetCommittedOffset("drain-created-events-left", 0));
    }

    /// <summary>
    /// The group drained and completed (its members ended): a member that joins now would own drained partitions of
    /// complete topics and nothing would ever stop it. The join is refused, naming the group and why.
    /// </summary>
    [Fact]
    public void Join_AfterTheGroupDrainedAndCompleted_IsRefusedNamingTheGroup()
    {
        using var topic = CreateTopic("drain-then-join");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "drain-then-join" });
        group.Join(new ActionHandler((_, _, _, _) => { }));
        topic.PublishTo(0, new TestEvent(1));
        topic.Complete();
        AssertCompletes(group, "the member committed the event of the complete topic");

        var ex = Assert.Throws<InvalidOperationException>(() => group.Join(new ActionHandler((_, _, _, _) => { }), "late"));

        Assert.Contains("'drain-then-join'", ex.Message);
        Assert.Contains("drained", ex.Message);
        Assert.Empty(group.Members);
    }
}
