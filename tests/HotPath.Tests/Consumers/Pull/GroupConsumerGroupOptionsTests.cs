using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Tests.Durability;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>
/// The group options that shape what a pull consumer reads apply to it as to push members: lossy, read-committed,
/// journaled-only and durable offsets, and seeks.
/// </summary>
public sealed class GroupConsumerGroupOptionsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Consume_LossyGroupLappedByTheWriter_ReturnsIntactEventsInOrderAndCountsTheLost()
    {
        // Capacity 16, 200 events published before the consumer joins: a lossy group never gates the writer.
        using Topic<TestEvent> topic = PullTopic.Create(capacity: 16);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { Lossy = true });
        PullTopic.Publish(topic, 0, 200);
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        var taken = new List<ConsumeResult<TestEvent>>();
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
        {
            taken.Add(result);
        }

        Assert.NotEmpty(taken);
        Assert.All(taken, r => Assert.Equal(r.Offset, r.Event.Value));
        Assert.Equal(taken.Select(r => r.Offset).Order(), taken.Select(r => r.Offset));
        Assert.Equal(199, taken[^1].Offset);
        PartitionStats stats = group.GetStats()[0];
        Assert.Equal(200 - taken.Count, stats.Lost);
        Assert.Equal(200, group.GetCommittedOffset(PullTopic.Name, 0));
    }

    [Fact]
    public void Consume_ReadCommittedGroup_ReturnsOnlyPlainAndCommittedEventsAndCommitsPastTheAbortedOnes()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("tx");
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        topic.PublishTo(0, new TestEvent(1));
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(-1));
        publisher.PublishTo(topic, 0, new TestEvent(-2));
        publisher.Abort();
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(2));
        publisher.Commit();
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(-3));
        publisher.Abort();

        Assert.Equal([1L, 2], PullTopic.Take(consumer, 2).Select(r => r.Event.Value));
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(100)));
        // Everything consumed, the aborted offsets stepped over: the group commits to the end (its lag is 0).
        PullTopic.WaitUntil(() => group.GetLag(PullTopic.Name, 0) == 0, "the commit past the aborted offsets");
        Assert.Equal(topic[0].EndOffset, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Equal(3, group.GetStats()[0].Aborted);
    }

    [Fact]
    public void Consume_ReadJournaledOnlyDurableTopic_ReturnsOnlyAcknowledgedEventsAndANewGroupInstanceResumesAtTheCommittedOffset()
    {
        TopicOptions options = new()
        {
            Name = PullTopic.Name,
            Capacity = 64,
            Durability = new DurabilityOptions { Directory = _directory.Path, Sync = SyncPolicy.EveryBatch, SegmentBytes = 4096 },
        };
        var groupOptions = PullTopic.Options("durable") with { ReadJournaledOnly = true };
        using (var topic = new Topic<TestEvent>(options))
        {
            using var group = new ConsumerGroup<TestEvent>(topic, groupOptions);
            using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
            PullTopic.Publish(topic, 0, 10);
            foreach (ConsumeResult<TestEvent> result in PullTopic.Take(consumer, 6))
            {
                Assert.True(result.Offset < topic[0].AcknowledgedEnd, $"offset {result.Offset} handed out before the journal acknowledged it");
            }

            // Leaving commits the six consumed; the four copied ahead are not.
            consumer.Dispose();
            Assert.Equal(6, group.GetCommittedOffset(PullTopic.Name, 0));
        }

        using (var topic = new Topic<TestEvent>(options))
        {
            using var group = new ConsumerGroup<TestEvent>(topic, groupOptions);
            using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
            Assert.Equal([6L, 7, 8, 9], PullTopic.Take(consumer, 4).Select(r => r.Offset));
        }
    }

    [Fact]
    public void Seek_PartitionOwnedByAConsumerWithCopiesAhead_DropsThemAndResumesAtTheOffset()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 10);
        // Manual commits: nothing committed keeps offsets 0-9 in the retained window, so the seek may go back.
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { CommitMode = CommitMode.Manual });
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c", prefetch: 64);
        ConsumeResult<TestEvent> beforeSeek = PullTopic.Take(consumer, 6)[^1];

        group.Seek(PullTopic.Name, 0, 2);

        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
        // A result from before the seek commits nothing any more: it would move the sought offset.
        Assert.Throws<InvalidOperationException>(() => consumer.Commit(beforeSeek));
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Equal([2L, 3, 4, 5, 6, 7, 8, 9], PullTopic.Take(consumer, 8).Select(r => r.Offset));
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(50)));
        consumer.Commit();
        Assert.Equal(10, group.GetCommittedOffset(PullTopic.Name, 0));
    }
}
