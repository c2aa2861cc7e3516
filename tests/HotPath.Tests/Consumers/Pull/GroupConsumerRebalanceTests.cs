using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Groups;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Consumers.Pull;

/// <summary>The pull consumer as a group member: revocations, failure after MaxPollInterval, a group mixing pull and push members.</summary>
public sealed class GroupConsumerRebalanceTests
{
    [Fact]
    public void Revocation_ConsumerHoldsUnconsumedCopies_NextOwnerStartsAtTheFirstUnconsumedEvent()
    {
        using Topic<TestEvent> topic = PullTopic.Create(partitions: 2);
        PullTopic.Publish(topic, 0, 10);
        PullTopic.Publish(topic, 1, 10);
        // Small batches and buffer: the six events consumed before the rebalance come from both partitions.
        var options = PullTopic.Options() with { Assignor = new RangeAssignor(), MaxBatchSize = 2 };
        using var group = new ConsumerGroup<TestEvent>(topic, options);
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("a", prefetch: 4);
        List<ConsumeResult<TestEvent>> before = PullTopic.Take(consumer, 6);
        var handler = new RecordingHandler(2);

        // Eager range: everything is revoked from "a", then p0 goes back to "a" and p1 to "b" (member ids sort).
        group.Join(handler.For("b"), "b");

        Assert.Equal([new TopicPartition(PullTopic.Name, 0)], consumer.Assignment);
        List<ConsumeResult<TestEvent>> after = PullTopic.Take(consumer, 10 - before.Count(r => r.Partition == 0));
        long consumedOnP1 = before.Count(r => r.Partition == 1);
        Assert.True(handler.WaitForCount(10 - consumedOnP1, PullTopic.Timeout));

        // p1: what "a" consumed, then the rest from "b", each offset once, in order.
        List<long> p1 = [.. before.Where(r => r.Partition == 1).Select(r => r.Offset), .. handler.OffsetsByPartition().GetValueOrDefault(1, [])];
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), p1);
        // p0: "a" keeps it and goes on where it was.
        List<long> p0 = [.. before.Concat(after).Where(r => r.Partition == 0).Select(r => r.Offset)];
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), p0);
        Assert.DoesNotContain(after, r => r.Partition == 1);
    }

    [Fact]
    public void Consume_CallerStopsCalling_DeclaredFailedAfterMaxPollIntervalAndPartitionsMove()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 10);
        var failures = new ConcurrentQueue<MemberFailure>();
        var options = PullTopic.Options() with { MaxPollInterval = TimeSpan.FromMilliseconds(200), OnMemberFailed = failures.Enqueue };
        using var group = new ConsumerGroup<TestEvent>(topic, options);
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("slow");
        PullTopic.Take(consumer, 3);
        // The third call committed the first two; the third event is consumed, not committed.
        Assert.Equal(2, group.GetCommittedOffset(PullTopic.Name, 0));

        PullTopic.WaitUntil(() => consumer.State == MemberState.Failed, "the consumer declared failed");

        PullTopic.WaitUntil(() => !failures.IsEmpty, "OnMemberFailed");
        Assert.True(failures.TryPeek(out MemberFailure failure));
        Assert.Equal("slow", failure.MemberId);
        Assert.Contains("MaxPollInterval", failure.Error.Message);
        var error = Assert.Throws<InvalidOperationException>(() => consumer.Consume(TimeSpan.Zero));
        Assert.Contains("declared failed", error.Message);
        Assert.Contains("MaxPollInterval", error.Message);
        Assert.Throws<InvalidOperationException>(() => consumer.Commit());
        Assert.Empty(consumer.Assignment);

        // The next owner resumes at the committed offset: offset 2, consumed but not committed, comes again (the
        // at-least-once window of a failure).
        var handler = new RecordingHandler(1);
        group.Join(handler.For("next"), "next");
        Assert.True(handler.WaitForCount(8, PullTopic.Timeout));
        Assert.Equal(Enumerable.Range(2, 8).Select(i => (long)i), handler.OffsetsByPartition()[0]);
    }

    [Fact]
    public async Task ConsumeAllAsync_ConsumerFencedWhileWaiting_ThrowsSayingItWasDeclaredFailed()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        PullTopic.Publish(topic, 0, 1);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("c");
        var seen = new ConcurrentQueue<long>();
        Task reading = Task.Run(async () =>
        {
            await foreach (ConsumeResult<TestEvent> result in consumer.ConsumeAllAsync())
            {
                seen.Enqueue(result.Offset);
            }
        });
        PullTopic.WaitUntil(() => seen.Count == 1, "the first event");

        group.TestFence(consumer.Member);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => reading.WaitAsync(PullTopic.Timeout));
        Assert.Contains("declared failed", error.Message);
        Assert.Equal(MemberState.Failed, consumer.State);
    }

    [Fact]
    public void Consume_CallerWaitsInConsumeLongerThanMaxPollInterval_StaysInTheGroup()
    {
        using Topic<TestEvent> topic = PullTopic.Create();
        var options = PullTopic.Options() with { MaxPollInterval = TimeSpan.FromMilliseconds(100) };
        using var group = new ConsumerGroup<TestEvent>(topic, options);
        using GroupConsumer<TestEvent> consumer = group.JoinConsumer("patient");

        // Waiting in Consume is polling (as a Kafka consumer blocked in poll).
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(600)));

        Assert.Equal(MemberState.Running, consumer.State);
        PullTopic.Publish(topic, 0, 1);
        Assert.Equal(0, PullTopic.Take(consumer, 1)[0].Offset);
    }

    [Fact]
    public void TwoPullConsumersAndAPushMember_RebalancesWhileConsuming_EveryEventOnceInOffsetOrder()
    {
        const int Partitions = 4;
        const int PerPartition = 400;
        using Topic<TestEvent> topic = PullTopic.Create(partitions: Partitions, capacity: 32);
        using var group = new ConsumerGroup<TestEvent>(topic, PullTopic.Options());
        var handler = new RecordingHandler(Partitions);
        var deliveries = new ConcurrentQueue<(string Member, int Partition, long Offset, long Value)>();
        using var stop = new CancellationTokenSource();

        // Each pull consumer joins on the test thread and is polled by its own thread until the test stops it; then it
        // leaves (Dispose).
        Task Poll(string id, int prefetch)
        {
            GroupConsumer<TestEvent> consumer = group.JoinConsumer(id, prefetch: prefetch);
            return Task.Factory.StartNew(
                () =>
                {
                    using (consumer)
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            if (consumer.Consume(TimeSpan.FromMilliseconds(5)) is { } result)
                            {
                                deliveries.Enqueue((id, result.Partition, result.Offset, result.Event.Value));
                            }
                        }
                    }
                },
                TaskCreationOptions.LongRunning);
        }

        // A phase publishes a quarter of each partition's events (round robin); the ring holds 32, so the members consume
        // while it publishes, and the membership changes between phases rebalance while they still hold backlogs.
        int phase = 0;
        void PublishPhase()
        {
            for (int i = phase * (PerPartition / 4); i < (phase + 1) * (PerPartition / 4); i++)
            {
                for (int p = 0; p < Partitions; p++)
                {
                    topic.PublishTo(p, new TestEvent((p * 100_000) + i));
                }
            }

            phase++;
        }

        Task first = Poll("pull-1", prefetch: 8);
        PublishPhase();
        GroupMember<TestEvent> push = group.Join(handler.For("push"), "push");
        PublishPhase();
        Task second = Poll("pull-2", prefetch: 3);
        PublishPhase();
        push.Leave();
        GroupMember<TestEvent> pushAgain = group.Join(handler.For("push-2"), "push-2");
        PublishPhase();

        PullTopic.WaitUntil(() => deliveries.Count + handler.Deliveries.Count >= Partitions * PerPartition, "every event");
        stop.Cancel();
        Assert.True(Task.WaitAll([first, second], PullTopic.Timeout));
        pushAgain.Leave();

        var all = deliveries.Concat(handler.Deliveries).ToList();
        for (int p = 0; p < Partitions; p++)
        {
            // Rebalances in good order: each offset exactly once in the group.
            List<long> offsets = [.. all.Where(d => d.Partition == p).Select(d => d.Offset).Order()];
            Assert.Equal(Enumerable.Range(0, PerPartition).Select(i => (long)i), offsets);
            Assert.All(all.Where(d => d.Partition == p), d => Assert.Equal((p * 100_000) + d.Offset, d.Value));
            // Per member, a partition's events in offset order.
            foreach (var member in all.Where(d => d.Partition == p).GroupBy(d => d.Member))
            {
                List<long> seen = [.. member.Select(d => d.Offset)];
                Assert.Equal(seen.Order(), seen);
            }

            Assert.Equal(PerPartition, group.GetCommittedOffset(PullTopic.Name, p));
        }

        Assert.Equal(0, handler.Overlaps);
        Assert.True(deliveries.Any(d => d.Member == "pull-1") && deliveries.Any(d => d.Member == "pull-2"), $"both pull consumers consumed: {string.Join(", ", all.GroupBy(d => d.Member).Select(g => $"{g.Key}={g.Count()}"))}");
    }
}
