using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using HotPath.Workers;

namespace HotPath.Tests.Transactions;

/// <summary>
/// What readers see of transactions: read-committed readers see a transaction's events only once it commits, never when
/// it aborts (they step over them and count them), and stop at the last stable offset while it is open; read-uncommitted
/// readers see everything as soon as it is published.
/// </summary>
public class TransactionVisibilityTests
{
    internal static Topic<TestEvent> CreateTopic(PublishMode mode = PublishMode.MultiWriter, int capacity = 64, int partitions = 1) =>
        new(new TopicOptions { Name = "txn", Capacity = capacity, PublishMode = mode, PartitionCount = partitions });

    /// <summary>Publishes <paramref name="claim"/>; returns the <typeparamref name="TException"/> it threw, or null (a claim is a ref struct: no lambda holds it).</summary>
    internal static TException? PublishCatching<TException>(TransactionalClaim<TestEvent> claim)
        where TException : Exception
    {
        try
        {
            claim.Publish();
            return null;
        }
        catch (TException ex)
        {
            return ex;
        }
    }

    /// <summary>Publishes <paramref name="claim"/>; returns the <typeparamref name="TException"/> it threw, or null.</summary>
    internal static TException? PublishCatching<TException>(TransactionalBatchClaim<TestEvent> claim)
        where TException : Exception
    {
        try
        {
            claim.Publish();
            return null;
        }
        catch (TException ex)
        {
            return ex;
        }
    }

    internal static List<long> Drain(PartitionReader<TestEvent> reader)
    {
        var values = new List<long>();
        while (reader.TryRead(out TestEvent e, out _))
        {
            values.Add(e.Value);
        }

        return values;
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Commit_OpenTransaction_ReadCommittedSeesItsEventsOnlyAfterTheCommit(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);
        using PartitionReader<TestEvent> uncommitted = topic.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);

        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        publisher.PublishTo(topic, 0, new TestEvent(2));

        Assert.Empty(Drain(committed));
        Assert.Equal([1L, 2L], Drain(uncommitted));
        Assert.Equal(0, topic[0].LastStableOffset);
        Assert.Equal(0, committed.Lag);

        publisher.Commit();

        Assert.Equal(TransactionState.Ready, publisher.State);
        Assert.Equal(2, topic[0].LastStableOffset);
        Assert.Equal(2, committed.Lag);
        Assert.Equal([1L, 2L], Drain(committed));
        Assert.Equal(0, committed.Aborted);
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Abort_OpenTransaction_ReadCommittedStepsOverItsEventsAndCountsThem(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);
        using PartitionReader<TestEvent> uncommitted = topic.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);

        topic[0].Publish(new TestEvent(10));
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        publisher.PublishBatch(topic, 0, [new TestEvent(2), new TestEvent(3)]);
        publisher.Abort();
        topic[0].Publish(new TestEvent(11));

        Assert.Equal([10L, 11L], Drain(committed));
        Assert.Equal(3, committed.Aborted);
        Assert.Equal(5, committed.Position);
        Assert.Equal([10L, 1L, 2L, 3L, 11L], Drain(uncommitted));
        Assert.Equal(0, uncommitted.Aborted);
    }

    [Fact]
    public void LastStableOffset_OpenTransactionBeforePlainEvents_HoldsTheLaterPlainEventsBackUntilItEnds()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);

        topic[0].Publish(new TestEvent(10));
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        topic[0].Publish(new TestEvent(11));
        topic[0].Publish(new TestEvent(12));

        Assert.Equal(1, topic[0].LastStableOffset);
        Assert.Equal(4, topic[0].EndOffset);
        Assert.Equal([10L], Drain(committed));

        publisher.Abort();

        Assert.Equal(4, topic[0].LastStableOffset);
        Assert.Equal([11L, 12L], Drain(committed));
        Assert.Equal(1, committed.Aborted);
    }

    [Fact]
    public void Abort_InterleavedWithAnotherTransactionThatCommits_SkipsOnlyTheAbortedOnesOffsets()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher a = coordinator.CreatePublisher("a");
        using TransactionalPublisher b = coordinator.CreatePublisher("b");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);

        a.Begin();
        b.Begin();
        for (int i = 0; i < 4; i++)
        {
            a.PublishTo(topic, 0, new TestEvent(100 + i));
            b.PublishTo(topic, 0, new TestEvent(200 + i));
            topic[0].Publish(new TestEvent(300 + i));
        }

        b.Commit();
        Assert.Empty(Drain(committed));
        a.Abort();

        Assert.Equal([200L, 300L, 201L, 301L, 202L, 302L, 203L, 303L], Drain(committed));
        Assert.Equal(4, committed.Aborted);
    }

    [Fact]
    public void Commit_TransactionOverTwoTopicsAndPartitions_MakesEveryEventVisible()
    {
        using Topic<TestEvent> orders = CreateTopic(partitions: 2);
        using var audit = new Topic<TestEvent>(new TopicOptions { Name = "audit", Capacity = 16, PublishMode = PublishMode.SingleWriter });
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> p0 = orders.CreateReader(0);
        using PartitionReader<TestEvent> p1 = orders.CreateReader(1);
        using PartitionReader<TestEvent> auditReader = audit.CreateReader(0);

        publisher.Begin();
        publisher.PublishTo(orders, 0, new TestEvent(1));
        publisher.PublishTo(orders, 1, new TestEvent(2));
        publisher.PublishTo(audit, 0, new TestEvent(3));
        Assert.Empty(Drain(p0));
        Assert.Empty(Drain(p1));
        Assert.Empty(Drain(auditReader));
        publisher.Commit();

        Assert.Equal([1L], Drain(p0));
        Assert.Equal([2L], Drain(p1));
        Assert.Equal([3L], Drain(auditReader));
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Claims_FilledInPlaceInATransaction_AreVisibleOnCommitAndAnAbandonedOneNever(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);

        publisher.Begin();
        using (TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0))
        {
            claim.Event.Value = 1;
            claim.Publish();
        }

        using (TransactionalClaim<TestEvent> abandoned = publisher.Claim(topic, 0))
        {
            abandoned.Event.Value = 666;
        }

        using (TransactionalBatchClaim<TestEvent> batch = publisher.ClaimBatch(topic, 0, 3))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Value = 2 + i;
            }

            batch.Publish();
        }

        publisher.Commit();

        Assert.Equal([1L, 2L, 3L, 4L], Drain(committed));
    }

    [Fact]
    public void Abort_SingleWriterClaimAbandonedThenOffsetReusedByAPlainPublish_ThePlainEventIsStillSeen()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> committed = topic.CreateReader(0);

        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        using (TransactionalClaim<TestEvent> abandoned = publisher.Claim(topic, 0))
        {
            abandoned.Event.Value = 666;
        }

        // The abandoned offset 1 is given back, and a plain publish takes it.
        Assert.Equal(1, topic[0].Publish(new TestEvent(2)));
        publisher.Abort();

        Assert.Equal([2L], Drain(committed));
        Assert.Equal(1, committed.Aborted);
    }

    [Fact]
    public void ConsumerGroup_ReadCommittedByDefault_HandlesOnlyCommittedEvents()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<long>();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "g" });
        group.Join(new ActionHandler((e, _, _, _) => seen.Enqueue(e.Value)));

        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        publisher.Abort();
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(2));
        publisher.Commit();
        topic[0].Publish(new TestEvent(3));
        topic.Complete();

        Assert.True(group.Completion.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal([2L, 3L], seen);
        PartitionStats stats = Assert.Single(group.GetStats());
        Assert.Equal(1, stats.Aborted);
        Assert.Equal(2, stats.Handled);
    }

    /// <summary>
    /// A read-committed member held by an open transaction parks (nothing it may read); the commit must wake it: after
    /// the commit nothing is published, and the park's back-stop is infinite, so only the end of the transaction can.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ParkedReadCommittedMember_TheTransactionEnds_IsWokenByItsEnd(bool abort)
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("held");
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "held", WaitStrategy = WaitStrategy.Blocking })
        {
            ReaderParkBackstopMilliseconds = System.Threading.Timeout.Infinite,
        };
        var handler = new RecordingHandler(1);
        GroupMember<TestEvent> member = group.Join(handler.For("m"));
        publisher.Begin();
        for (int i = 1; i <= 3; i++)
        {
            publisher.PublishTo(topic, 0, new TestEvent(i));
        }

        topic[0].Publish(new TestEvent(4));
        Assert.True(SpinWait.SpinUntil(() => member.Worker.IsParked, TimeSpan.FromSeconds(10)), "the member parks behind the open transaction");
        Assert.Empty(handler.Deliveries);

        if (abort)
        {
            publisher.Abort();
        }
        else
        {
            publisher.Commit();
        }

        long expected = abort ? 1 : 4;
        Assert.True(handler.WaitForCount(expected, TimeSpan.FromSeconds(10)), $"handled {handler.Deliveries.Count} of {expected}: the end of the transaction did not wake the parked member");
        Assert.Equal(abort ? [4L] : [1L, 2L, 3L, 4L], handler.Deliveries.Select(d => d.Value));
    }
}
