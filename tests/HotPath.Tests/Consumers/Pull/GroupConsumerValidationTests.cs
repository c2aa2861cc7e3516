using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>Bad input to the pull consumer: each refusal names the parameter, the rule and the value, and changes nothing.</summary>
public sealed class GroupConsumerValidationTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(GroupConsumer<TestEvent>.MaxPrefetch + 1)]
    public void JoinConsumer_PrefetchOutOfRange_ThrowsNamingPrefetchAndAddsNoMember(int prefetch)
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => group.JoinConsumer(prefetch: prefetch));

        Assert.Equal("prefetch", error.ParamName);
        Assert.Contains($"was {prefetch}", error.Message);
        Assert.Empty(group.Members);
    }

    [Fact]
    public void JoinConsumer_EmptyMemberId_ThrowsNamingMemberId()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());

        var error = Assert.Throws<ArgumentException>(() => group.JoinConsumer(memberId: string.Empty));

        Assert.Equal("memberId", error.ParamName);
    }

    [Fact]
    public void Consume_NegativeTimeout_ThrowsNamingTimeoutAndTakesNothing()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 1);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => consumer.Consume(TimeSpan.FromMilliseconds(-2)));

        Assert.Equal("timeout", error.ParamName);
        Assert.Contains("was -00:00:00.002", error.Message);
        Assert.Equal(0, PullTopic.Take(consumer, 1)[0].Offset);
    }

    [Fact]
    public void Commit_DefaultResult_ThrowsNamingResult()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        var error = Assert.Throws<ArgumentException>(() => consumer.Commit(default(ConsumeResult<TestEvent>)));

        Assert.Equal("result", error.ParamName);
        Assert.Contains("default value", error.Message);
    }

    [Fact]
    public void Commit_ResultOfAnotherConsumer_ThrowsNamingResultAndCommitsNothing()
    {
        using Topic<TestEvent> topic = PullTopic.Create(partitions: 2);
        PullTopic.Publish(topic, 0, 2);
        PullTopic.Publish(topic, 1, 2);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { CommitMode = CommitMode.Manual });
        using GroupConsumer<TestEvent> first = group.JoinConsumer("a");
        using GroupConsumer<TestEvent> second = group.JoinConsumer("b");
        ConsumeResult<TestEvent> fromFirst = PullTopic.Take(first, 1)[0];

        var error = Assert.Throws<ArgumentException>(() => second.Commit(fromFirst));

        Assert.Equal("result", error.ParamName);
        Assert.Contains("another consumer", error.Message);
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, fromFirst.Partition));
    }

    [Fact]
    public void Commit_ResultOfAPartitionRevokedSince_ThrowsAndTheNextOwnerGetsItAgain()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 3);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { CommitMode = CommitMode.Manual });
        GroupConsumer<TestEvent> first = group.JoinConsumer("a");
        ConsumeResult<TestEvent> taken = PullTopic.Take(first, 1)[0];
        var handler = new RecordingHandler(1);
        // "a" leaves in good order (Manual: nothing committed); the push member takes the partition.
        GroupMember<TestEvent> next = group.Join(handler.For("next"), "next");
        first.Dispose();
        Assert.True(handler.WaitForCount(3, PullTopic.Timeout));

        Assert.Throws<ObjectDisposedException>(() => first.Commit(taken));
        Assert.Equal([0L, 1, 2], handler.OffsetsByPartition()[0]);
        next.Leave();
    }

    [Fact]
    public void Commit_ResultOfAPartitionRevokedWhileTheConsumerStaysInTheGroup_ThrowsNamingThePartition()
    {
        using Topic<TestEvent> topic = PullTopic.Create(partitions: 2);
        PullTopic.Publish(topic, 0, 3);
        PullTopic.Publish(topic, 1, 3);
        // Cooperative: only the moving partition is revoked; "a" keeps p0 (eager would revoke and re-assign it, and a result
        // from before that is refused too).
        var options = PullTopic.Options() with
        {
            CommitMode = CommitMode.Manual,
            Assignor = new HotPath.Groups.RangeAssignor(),
            Protocol = RebalanceProtocol.Cooperative,
        };
        using var group = new ConsumerGroup<TestEvent>(topic, options);
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("a");
        List<ConsumeResult<TestEvent>> taken = PullTopic.Take(consumer, 6);
        ConsumeResult<TestEvent> fromP1 = taken.First(r => r.Partition == 1);

        // Range: "b" takes p1.
        using GroupConsumer<TestEvent> other = group.JoinConsumer("b");

        var error = Assert.Throws<InvalidOperationException>(() => consumer.Commit(fromP1));
        Assert.Contains("orders-1", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, 1));
        // p0 is still held: its commit lands.
        consumer.Commit(taken.Last(r => r.Partition == 0));
        Assert.Equal(3, group.GetCommittedOffset(PullTopic.Name, 0));
        // The next owner of p1 gets what "a" consumed there but never committed.
        Assert.Equal([0L, 1, 2], PullTopic.Take(other, 3).Select(r => r.Offset));
    }
}
