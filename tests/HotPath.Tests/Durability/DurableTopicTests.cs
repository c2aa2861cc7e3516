using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>Durable topics through the public API: journal, restart, resume, acknowledgement, journaled-only reading.</summary>
public sealed class DurableTopicTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private TopicOptions Options(string name = "orders", int partitions = 2, int capacity = 64, SyncPolicy sync = SyncPolicy.None, PublishMode mode = PublishMode.MultiWriter) => new()
    {
        Name = name,
        PartitionCount = partitions,
        Capacity = capacity,
        PublishMode = mode,
        Durability = new DurabilityOptions { Directory = _directory.Path, Sync = sync, SegmentBytes = 4096 },
    };

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Reopen_AfterPublishing_ContinuesAtTheJournalEndAndANewGroupReadsEverythingInOrder(PublishMode mode)
    {
        const int Count = 1000;
        using (var topic = new Topic<TestEvent>(Options(mode: mode)))
        {
            Assert.True(topic.Recovery!.IsNew);
            for (int i = 0; i < Count; i++)
            {
                topic.PublishTo(i % 2, new TestEvent(i));
            }
        }

        using var reopened = new Topic<TestEvent>(Options(mode: mode));
        Assert.False(reopened.Recovery!.IsNew);
        Assert.Equal(Count / 2, reopened[0].EndOffset);
        Assert.Equal(Count / 2, reopened[1].EndOffset);
        Assert.Equal(Count, reopened.Recovery.RetainedEvents);
        // A new group starts at the journal's start (Earliest): 500 events per partition, far more than the 64-slot ring.
        var seen = new ConcurrentQueue<(int Partition, long Offset, long Value)>();
        using var group = new ConsumerGroup<TestEvent>(reopened, new ConsumerGroupOptions { GroupId = "audit" });
        group.Join(new ActionHandler((e, p, o, _) => seen.Enqueue((p, o, e.Value))));
        // New events after the restart follow the recovered ones.
        reopened.PublishTo(0, new TestEvent(Count));
        Assert.True(SpinWait.SpinUntil(() => seen.Count == Count + 1, Timeout), $"saw {seen.Count} of {Count + 1}");
        foreach (IGrouping<int, (int Partition, long Offset, long Value)> partition in seen.GroupBy(s => s.Partition))
        {
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(s => s.Offset));
        }

        Assert.Equal(Enumerable.Range(0, Count / 2).Select(i => (long)(2 * i)).Append(Count), seen.Where(s => s.Partition == 0).Select(s => s.Value));
        Assert.Equal(Enumerable.Range(0, Count / 2).Select(i => (long)(2 * i) + 1), seen.Where(s => s.Partition == 1).Select(s => s.Value));
    }

    [Fact]
    public void Reopen_GroupCommittedPart_ResumesAtItsCommittedOffset()
    {
        using (var topic = new Topic<TestEvent>(Options(partitions: 1)))
        {
            using (var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }))
            {
                group.Join(new ActionHandler((_, _, _, _) => { }));
                for (int i = 0; i < 40; i++)
                {
                    topic.PublishTo(0, new TestEvent(i));
                }

                Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 40, Timeout));
            }

            // Published after the group left: it has not seen them.
            for (int i = 40; i < 100; i++)
            {
                topic.PublishTo(0, new TestEvent(i));
            }
        }

        using var reopened = new Topic<TestEvent>(Options(partitions: 1));
        Assert.Equal(40, reopened.Recovery!.GroupOffsets[("billing", 0)]);
        var seen = new ConcurrentQueue<long>();
        using var again = new ConsumerGroup<TestEvent>(reopened, new ConsumerGroupOptions { GroupId = "billing" });
        Assert.Equal(40, again.GetCommittedOffset("orders", 0));
        again.Join(new ActionHandler((e, _, o, _) => seen.Enqueue(e.Value)));
        Assert.True(SpinWait.SpinUntil(() => seen.Count == 60, Timeout));
        Assert.Equal(Enumerable.Range(40, 60).Select(i => (long)i), seen);
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Reopen_SecondGroupRegistersBelowTheRingWhileAnotherIsThere_BothReadTheJournalsEvents(PublishMode mode)
    {
        using (var topic = new Topic<TestEvent>(Options(partitions: 1, capacity: 4, mode: mode)))
        {
            for (int i = 0; i < 10; i++)
            {
                topic.PublishTo(0, new TestEvent(100 + i));
            }
        }

        // Both groups start at the journal's start, below the reopened ring (which starts empty at offset 10). The first
        // registration holds the writers at 0, so the second one's lowest gating sequence is below the ring too.
        using var reopened = new Topic<TestEvent>(Options(partitions: 1, capacity: 4, mode: mode));
        var first = new ConcurrentQueue<long>();
        var second = new ConcurrentQueue<long>();
        using var audit = new ConsumerGroup<TestEvent>(reopened, new ConsumerGroupOptions { GroupId = "audit" });
        using var billing = new ConsumerGroup<TestEvent>(reopened, new ConsumerGroupOptions { GroupId = "billing" });
        billing.Join(new ActionHandler((e, _, _, _) => second.Enqueue(e.Value)));
        audit.Join(new ActionHandler((e, _, _, _) => first.Enqueue(e.Value)));
        SpinWait.SpinUntil(() => first.Count >= 10 && second.Count >= 10, TimeSpan.FromSeconds(5));
        Assert.Equal(Enumerable.Range(100, 10).Select(i => (long)i), first);
        Assert.Equal(Enumerable.Range(100, 10).Select(i => (long)i), second);
    }

    [Fact]
    public void Group_RecreatedInTheSameProcess_ResumesWhereTheDisposedOneCommitted()
    {
        using var topic = new Topic<TestEvent>(Options(partitions: 1));
        for (int i = 0; i < 30; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        using (var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" }))
        {
            group.Join(new ActionHandler((_, _, _, _) => { }));
            Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 30, Timeout));
        }

        topic.PublishTo(0, new TestEvent(30));
        using var again = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
        Assert.Equal(30, again.GetCommittedOffset("orders", 0));
    }

    [Fact]
    public void Reopen_GroupDisposedBeforeTheJournalAcknowledgedItsOffset_ResumesAtItsCommittedOffset()
    {
        // An hour between syncs: nothing is acknowledged before the topic's clean shutdown syncs everything, so the group
        // is disposed with its committed offset past the acknowledged end.
        TopicOptions interval = Options(partitions: 1, sync: SyncPolicy.Interval);
        TopicOptions options = interval with { Durability = interval.Durability! with { SyncInterval = TimeSpan.FromHours(1) } };
        using (var topic = new Topic<TestEvent>(options))
        {
            using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "billing" });
            group.Join(new ActionHandler((_, _, _, _) => { }));
            for (int i = 0; i < 10; i++)
            {
                topic.PublishTo(0, new TestEvent(i));
            }

            Assert.True(SpinWait.SpinUntil(() => group.GetCommittedOffset("orders", 0) == 10, Timeout));
            Assert.Equal(0, topic[0].AcknowledgedEnd);
        }

        using var reopened = new Topic<TestEvent>(options);
        Assert.Equal(10, reopened[0].EndOffset);
        Assert.Equal(10, reopened.Recovery!.GroupOffsets[("billing", 0)]);
        using var again = new ConsumerGroup<TestEvent>(reopened, new ConsumerGroupOptions { GroupId = "billing" });
        Assert.Equal(10, again.GetCommittedOffset("orders", 0));
    }

    [Theory]
    [InlineData(SyncPolicy.None)]
    [InlineData(SyncPolicy.Interval)]
    [InlineData(SyncPolicy.EveryBatch)]
    public void WaitAcknowledged_PublishedEvent_ReturnsTrueAndTheAcknowledgedEndPassesIt(SyncPolicy sync)
    {
        using var topic = new Topic<TestEvent>(Options(sync: sync));
        PublishResult result = topic.Publish(7L, new TestEvent(7));
        Assert.True(topic.WaitAcknowledged(result, Timeout));
        Assert.True(topic[result.Partition].AcknowledgedEnd > result.Offset);
    }

    [Fact]
    public void ReadJournaledOnly_HandlerNeverSeesAnOffsetTheJournalHasNotAcknowledged()
    {
        using var topic = new Topic<TestEvent>(Options(partitions: 1, sync: SyncPolicy.EveryBatch));
        var early = new ConcurrentQueue<long>();
        long seen = 0;
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "journaled", ReadJournaledOnly = true });
        group.Join(new ActionHandler((_, p, o, _) =>
        {
            if (o >= topic[p].AcknowledgedEnd)
            {
                early.Enqueue(o);
            }

            Interlocked.Increment(ref seen);
        }));
        for (int i = 0; i < 2000; i++)
        {
            topic.PublishTo(0, new TestEvent(i));
        }

        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref seen) == 2000, Timeout));
        Assert.Empty(early);
    }

    [Fact]
    public void Topic_DurableEventWithAReference_IsRefusedNamingTheType()
    {
        var e = Assert.Throws<ArgumentException>(() => new Topic<(long, string)>(Options()));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("Durability", e.Message);
        Assert.Contains("String", e.Message);
    }

    [Fact]
    public void Topic_SecondInstanceOnTheSameDirectory_IsRefusedWhileTheFirstIsOpen()
    {
        using (var first = new Topic<TestEvent>(Options()))
        {
            var e = Assert.Throws<JournalException>(() => new Topic<TestEvent>(Options()));
            Assert.Contains("orders", e.Path);
        }

        using var afterwards = new Topic<TestEvent>(Options());
        Assert.False(afterwards.Recovery!.IsNew);
    }

    [Fact]
    public void Topic_ReopenedWithAnotherPartitionCount_IsRefusedNamingBothCounts()
    {
        new Topic<TestEvent>(Options(partitions: 2)).Dispose();
        var e = Assert.Throws<JournalException>(() => new Topic<TestEvent>(Options(partitions: 3)));
        Assert.Contains("2", e.Message);
        Assert.Contains("3", e.Message);
    }

    [Fact]
    public void Reopen_AfterTransactions_KeepsCommittedOutputsOnlyForEveryIsolationLevel()
    {
        var topic = new Topic<TestEvent>(Options(partitions: 1, capacity: 64));
        using (var coordinator = new HotPath.Transactions.TransactionCoordinator())
        using (var committed = coordinator.CreatePublisher("committed"))
        using (var aborted = coordinator.CreatePublisher("aborted"))
        using (var open = coordinator.CreatePublisher("open"))
        {
            topic.PublishTo(0, new TestEvent(1));
            committed.Begin();
            committed.PublishTo(topic, 0, new TestEvent(2));
            aborted.Begin();
            aborted.PublishTo(topic, 0, new TestEvent(-1));
            committed.PublishTo(topic, 0, new TestEvent(3));
            aborted.PublishTo(topic, 0, new TestEvent(-2));
            committed.Commit();
            aborted.Abort();
            PublishResult plain = topic.PublishTo(0, new TestEvent(4));
            Assert.True(topic.WaitAcknowledged(plain, Timeout), "everything before the open transaction is journaled");
            open.Begin();
            open.PublishTo(topic, 0, new TestEvent(-3));
            // Published after the open transaction's first offset: never acknowledged while it is open.
            PublishResult held = topic.PublishTo(0, new TestEvent(-4));
            Assert.False(topic.WaitAcknowledged(held, TimeSpan.FromMilliseconds(200)));
            // The topic closes with the transaction still open (before the publishers' disposal aborts it): as if the
            // process had crashed there.
            topic.Dispose();
        }

        using var reopened = new Topic<TestEvent>(Options(partitions: 1, capacity: 64));
        Assert.Equal(6, reopened[0].EndOffset);
        foreach (IsolationLevel isolation in new[] { IsolationLevel.ReadCommitted, IsolationLevel.ReadUncommitted })
        {
            using PartitionReader<TestEvent> reader = reopened.CreateReader(0, OffsetReset.Earliest, isolation: isolation);
            var values = new List<long>();
            while (reader.TryRead(out TestEvent e, out _))
            {
                values.Add(e.Value);
            }

            Assert.Equal([1L, 2, 3, 4], values);
        }
    }
}
