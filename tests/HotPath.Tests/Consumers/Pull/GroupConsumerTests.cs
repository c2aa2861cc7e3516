using HotPath.Consumers;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>The pull consumer's basic contract: what Consume returns, when it commits, what Dispose commits.</summary>
public sealed class GroupConsumerTests
{
    [Fact]
    public void Consume_EventsOnTwoPartitions_ReturnsEachOnceInOffsetOrderWithItsCoordinates()
    {
        using Topic<TestEvent> topic = PullTopic.Create(partitions: 2);
        PullTopic.Publish(topic, 0, 5, from: 0);
        PullTopic.Publish(topic, 1, 5, from: 100);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        List<ConsumeResult<TestEvent>> taken = PullTopic.Take(consumer, 10);

        foreach (int partition in new[] { 0, 1 })
        {
            List<ConsumeResult<TestEvent>> mine = taken.Where(r => r.Partition == partition).ToList();
            Assert.Equal([0L, 1, 2, 3, 4], mine.Select(r => r.Offset));
            Assert.Equal(mine.Select(r => r.Offset + (partition * 100)), mine.Select(r => r.Event.Value));
            Assert.All(mine, r => Assert.Equal(PullTopic.Name, r.Topic));
            Assert.All(mine, r => Assert.Equal(new HotPath.Groups.TopicPartition(PullTopic.Name, partition), r.TopicPartition));
        }

        Assert.True(taken[^1].IsEndOfBatch);
        Assert.Null(consumer.Consume(TimeSpan.Zero));
    }

    [Fact]
    public void Consume_TimeoutWithNothingPublished_ReturnsNullAndTakesNothing()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(50)));
        Assert.Null(consumer.Consume(TimeSpan.Zero));
        PullTopic.Publish(topic, 0, 1, from: 7);

        ConsumeResult<TestEvent> result = PullTopic.Take(consumer, 1)[0];
        Assert.Equal(0, result.Offset);
        Assert.Equal(7, result.Event.Value);
    }

    [Fact]
    public void Consume_WaitingWhenAnEventIsPublished_ReturnsIt()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        Task<ConsumeResult<TestEvent>> waiting = Task.Run(() => consumer.Consume(CancellationToken.None));
        Thread.Sleep(50);
        Assert.False(waiting.IsCompleted);
        PullTopic.Publish(topic, 0, 1, from: 42);

        Assert.True(waiting.Wait(PullTopic.Timeout));
        Assert.Equal(42, waiting.Result.Event.Value);
    }

    [Fact]
    public void Consume_AfterBatchMode_CommitsWhatEarlierCallsReturned()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 3);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        PullTopic.Take(consumer, 1);
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, 0));
        PullTopic.Take(consumer, 1);
        // The second call committed what the first returned.
        Assert.Equal(1, group.GetCommittedOffset(PullTopic.Name, 0));
        PullTopic.Take(consumer, 1);
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Null(consumer.Consume(TimeSpan.Zero));
        Assert.Equal(3, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Equal(0, group.GetLag(PullTopic.Name, 0));
    }

    [Fact]
    public void Commit_ManualMode_CommitsOnlyWhenCalledAndUpToWhatWasConsumed()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 6);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { CommitMode = CommitMode.Manual });
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c", prefetch: 64);

        List<ConsumeResult<TestEvent>> taken = PullTopic.Take(consumer, 4);
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, 0));

        consumer.Commit(taken[1]);
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
        // Never back.
        consumer.Commit(taken[0]);
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
        consumer.Commit();
        // What was consumed (offsets 0-3), not what was copied ahead (4 and 5).
        Assert.Equal(4, group.GetCommittedOffset(PullTopic.Name, 0));
    }

    [Fact]
    public void Commit_ManualModeNothingCommitted_DisposeCommitsNothingAndTheNextConsumerGetsEverythingAgain()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 5);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options() with { CommitMode = CommitMode.Manual });
        GroupConsumer<TestEvent> first = group.JoinConsumer("first");
        PullTopic.Take(first, 3);
        first.Dispose();
        Assert.Equal(0, group.GetCommittedOffset(PullTopic.Name, 0));

        using GroupConsumer<TestEvent> second = group.JoinConsumer("second");
        Assert.Equal([0L, 1, 2, 3, 4], PullTopic.Take(second, 5).Select(r => r.Offset));
    }

    [Fact]
    public void Dispose_AfterConsumingPartOfThePrefetched_CommitsWhatWasConsumedAndNextOwnerGetsTheRest()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 10);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        GroupConsumer<TestEvent> consumer = group.JoinConsumer("c", prefetch: 64);
        PullTopic.Take(consumer, 3);
        // The fetch thread copied ahead: all ten are in the consumer's buffer.
        PullTopic.WaitUntil(() => ((PullMemberWorker<TestEvent>)group.Members[0].Worker).Handoff.Free == 64 - 7, "the fetch thread's copies");

        consumer.Dispose();

        Assert.Equal(3, group.GetCommittedOffset(PullTopic.Name, 0));
        Assert.Equal(MemberState.Stopped, consumer.State);
        Assert.Throws<ObjectDisposedException>(() => consumer.Consume(TimeSpan.Zero));
        var handler = new RecordingHandler(1);
        group.Join(handler.For("push"), "push");
        Assert.True(handler.WaitForCount(7, PullTopic.Timeout));
        Assert.Equal([3L, 4, 5, 6, 7, 8, 9], handler.OffsetsByPartition()[0]);
    }

    [Fact]
    public void ConsumeAsync_EventAvailable_CompletesSynchronously()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 1, from: 5);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        PullTopic.WaitUntil(() => ((PullMemberWorker<TestEvent>)group.Members[0].Worker).Handoff.Free < GroupConsumer<TestEvent>.DefaultPrefetch, "the copy");

        ValueTask<ConsumeResult<TestEvent>> pending = consumer.ConsumeAsync();

        Assert.True(pending.IsCompletedSuccessfully);
        Assert.Equal(5, pending.Result.Event.Value);
    }

    [Fact]
    public async Task ConsumeAsync_WaitingWhenAnEventIsPublished_ReturnsIt()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        ValueTask<ConsumeResult<TestEvent>> pending = consumer.ConsumeAsync();
        Assert.False(pending.IsCompleted);
        PullTopic.Publish(topic, 0, 1, from: 9);

        ConsumeResult<TestEvent> result = await pending.AsTask().WaitAsync(PullTopic.Timeout);
        Assert.Equal(9, result.Event.Value);
    }

    [Fact]
    public async Task ConsumeAllAsync_TopicCompletes_YieldsEveryEventAndEndsWhenTheGroupDrains()
    {
        using Topic<TestEvent> topic = PullTopic.Create(partitions: 3);
        for (int p = 0; p < 3; p++)
        {
            PullTopic.Publish(topic, p, 20, from: p * 1000);
        }

        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        await using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        topic.Complete();

        var seen = new List<ConsumeResult<TestEvent>>();
        using var cancel = new CancellationTokenSource(PullTopic.Timeout);
        await foreach (ConsumeResult<TestEvent> result in consumer.ConsumeAllAsync(cancel.Token))
        {
            seen.Add(result);
        }

        Assert.Equal(60, seen.Count);
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), seen.Where(r => r.Partition == p).Select(r => r.Offset));
            Assert.Equal(20, group.GetCommittedOffset(PullTopic.Name, p));
        }

        await group.Completion.WaitAsync(PullTopic.Timeout);
        Assert.Equal(MemberState.Stopped, consumer.State);
        Assert.Throws<InvalidOperationException>(() => consumer.Consume(TimeSpan.Zero));
    }

    [Fact]
    public async Task ConsumeAllAsync_ConsumerDisposedWhileWaiting_Ends()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 2);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");

        var seen = new List<long>();
        Task reading = Task.Run(async () =>
        {
            await foreach (ConsumeResult<TestEvent> result in consumer.ConsumeAllAsync())
            {
                seen.Add(result.Offset);
            }
        });
        PullTopic.WaitUntil(() => group.GetCommittedOffset(PullTopic.Name, 0) == 2, "the commit of both events (the third call waits)");
        await consumer.DisposeAsync();

        await reading.WaitAsync(PullTopic.Timeout);
        Assert.Equal([0L, 1], seen);
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));
    }
}
