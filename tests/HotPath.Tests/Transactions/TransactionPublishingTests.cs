using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// The publishing surface of a transactional publisher: the keyed overloads, argument checks, and the paths a publish
/// takes (the single-writer hot path, the general claim, the multi-writer span check), each pinned by what a reader sees.
/// </summary>
public class TransactionPublishingTests
{
    [Fact]
    public void Publish_ByKey_GoesToThePartitionTheTopicPicksAndIsVisibleOnCommit()
    {
        using Topic<TestEvent> topic = CreateTopic(partitions: 4);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("keys");
        publisher.Begin();

        PublishResult byString = publisher.Publish(topic, "alpha", new TestEvent(1));
        PublishResult byBytes = publisher.Publish(topic, "beta"u8, new TestEvent(2));
        PublishResult byLong = publisher.Publish(topic, 12345L, new TestEvent(3));

        Assert.Equal(topic.PartitionFor("alpha"), byString.Partition);
        Assert.Equal(topic.PartitionFor("beta"u8), byBytes.Partition);
        Assert.Equal(topic.PartitionFor(12345L), byLong.Partition);
        publisher.Commit();
        var seen = new List<long>();
        for (int p = 0; p < 4; p++)
        {
            using PartitionReader<TestEvent> reader = topic.CreateReader(p);
            seen.AddRange(Drain(reader));
        }

        seen.Sort();
        Assert.Equal([1L, 2L, 3L], seen);
    }

    [Fact]
    public void PublishMethods_NullTopic_ThrowArgumentNullNamingTopic()
    {
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("nulls");
        publisher.Begin();
        Topic<TestEvent> topic = null!;

        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => publisher.Publish(topic, "k", new TestEvent(1))).ParamName);
        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => publisher.Publish(topic, "k"u8, new TestEvent(1))).ParamName);
        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => publisher.Publish(topic, 1L, new TestEvent(1))).ParamName);
        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => publisher.PublishTo(topic, 0, new TestEvent(1))).ParamName);
        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => publisher.PublishBatch(topic, 0, [new TestEvent(1)])).ParamName);
        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => { using var c = publisher.Claim(topic, 0); }).ParamName);
        Assert.Equal("topic", Assert.Throws<ArgumentNullException>(() => { using var c = publisher.ClaimBatch(topic, 0, 1); }).ParamName);
        Assert.Equal(TransactionState.Open, publisher.State);
        publisher.Abort();
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void ClaimPublish_AfterItsTransactionCommitted_ThrowsNamingTheStateAndAbandonsTheSlot(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("stale");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0);
        claim.Event = new TestEvent(1);
        publisher.Commit();

        TransactionException? ex = PublishCatching<TransactionException>(claim);

        Assert.NotNull(ex);
        Assert.Contains("'stale' (epoch 0, state Ready)", ex.Message);
        Assert.Contains("cannot publish a claim of its transaction: no transaction is open", ex.Message);
        Assert.Empty(Drain(reader));
        // The slot was given up: the next transaction's event is read, the stale one never.
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(2));
        publisher.Commit();
        Assert.Equal([2L], Drain(reader));
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void ClaimPublish_InsideTheNextTransaction_ThrowsThatItsTransactionEnded(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("stale");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0);
        claim.Event = new TestEvent(1);
        publisher.Abort();
        publisher.Begin();

        TransactionException? ex = PublishCatching<TransactionException>(claim);

        Assert.NotNull(ex);
        Assert.Contains("'stale' (epoch 0, state Open)", ex.Message);
        Assert.Contains("cannot publish a claim of a transaction that has ended", ex.Message);
        Assert.Equal(TransactionState.Open, publisher.State);
        publisher.PublishTo(topic, 0, new TestEvent(2));
        publisher.Commit();
        Assert.Equal([2L], Drain(reader));
    }

    /// <summary>
    /// Multi-writer, the transaction's entry already open, the ring full of events a reader has not read: the publish
    /// waits in slices (re-checking the span) until the reader makes room, then publishes at the next offset.
    /// </summary>
    [Fact]
    public void PublishTo_MultiWriterRingFullInsideTheSpan_WaitsForRoomThenPublishesOnce()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, capacity: 8);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("wait");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);
        FillRingAroundAnOpenTransaction(topic, publisher);
        PublishResult? result = null;
        Exception? failure = null;
        var owner = new Thread(() => failure = Record.Exception(() => result = publisher.PublishTo(topic, 0, new TestEvent(8)))) { IsBackground = true };
        owner.Start();
        Assert.True(SpinWait.SpinUntil(() => (owner.ThreadState & ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(10)), "the publish waits for room");

        Assert.True(reader.TryRead(out TestEvent first, out _));

        Assert.True(owner.Join(TimeSpan.FromSeconds(10)), "room was made: the publish completes");
        Assert.Equal(0, first.Value);
        Assert.Null(failure);
        Assert.Equal(8, result!.Value.Offset);
        publisher.Commit();
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L], Drain(reader));
        Assert.Equal(9, topic[0].EndOffset);
    }

    /// <summary>As above, but the coordinator aborts the transaction while the publish waits: the wait ends with the abort.</summary>
    [Fact]
    public void PublishTo_MultiWriterWaitingForRoom_CoordinatorAbortEndsTheWaitWithTransactionAborted()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, capacity: 8);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("wait");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);
        FillRingAroundAnOpenTransaction(topic, publisher);
        Exception? ex = null;
        var owner = new Thread(() => ex = Record.Exception(() => publisher.PublishTo(topic, 0, new TestEvent(8)))) { IsBackground = true };
        owner.Start();
        Assert.True(SpinWait.SpinUntil(() => (owner.ThreadState & ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(10)), "the publish waits for room");

        Assert.True(publisher.AbortFromOutside("the test's abort", fence: false));

        // Nobody reads: only the abort can end the wait.
        bool ended = owner.Join(TimeSpan.FromSeconds(10));
        if (!ended)
        {
            Drain(reader);
            owner.Join(TimeSpan.FromSeconds(10));
        }

        Assert.True(ended, "the abort ends the wait for room");
        var aborted = Assert.IsType<TransactionAbortedException>(ex);
        Assert.Contains("the test's abort", aborted.Reason);
        Assert.Equal(8, topic[0].EndOffset);
    }

    /// <summary>
    /// The coordinator aborts while the transaction's first claim on a partition waits for room: the claim, once it gets
    /// room, opens the entry, sees the abort, gives the offset up and closes the entry again, so the partition's last
    /// stable offset is not held by a transaction that has ended.
    /// </summary>
    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void PublishTo_AbortedWhileItsFirstClaimWaitsForRoom_ThrowsAndLeavesNoOpenEntry(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 4);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("first");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        for (int i = 0; i < 4; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        publisher.Begin();
        Exception? ex = null;
        var owner = new Thread(() => ex = Record.Exception(() => publisher.PublishTo(topic, 0, new TestEvent(100)))) { IsBackground = true };
        owner.Start();
        Assert.True(SpinWait.SpinUntil(() => (owner.ThreadState & ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(10)), "the first claim waits for room");
        Assert.True(publisher.AbortFromOutside("the test's abort", fence: false));

        Assert.True(reader.TryRead(out TestEvent e0, out _));
        Assert.True(owner.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, e0.Value);
        var aborted = Assert.IsType<TransactionAbortedException>(ex);
        Assert.Contains("the test's abort", aborted.Reason);
        Assert.Equal(0, topic[0].Transactions.OpenCount);
        // Offset 4 was given up (multi-writer: a gap; single writer: given back, claimed again next): the last stable
        // offset is the end.
        long end = mode == PublishMode.MultiWriter ? 5 : 4;
        Assert.Equal(end, topic[0].EndOffset);
        Assert.Equal(end, topic[0].LastStableOffset);
        Assert.Equal([1L, 2L, 3L], Drain(reader));
        Assert.Equal(end, topic[0].Publish(new TestEvent(5)));
        Assert.Equal([5L], Drain(reader));
        publisher.Abort();
        Assert.Equal(TransactionState.Ready, publisher.State);
    }

    [Fact]
    public void PublishBatchAndClaimBatch_NoEventsOrMoreThanTheRing_ThrowNamingTheCount()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, capacity: 8);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("counts");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();

        var empty = Assert.Throws<ArgumentOutOfRangeException>(() => publisher.PublishBatch(topic, 0, Array.Empty<TestEvent>()));
        ArgumentOutOfRangeException? tooMany = null;
        try
        {
            using TransactionalBatchClaim<TestEvent> batch = publisher.ClaimBatch(topic, 0, 9);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            tooMany = ex;
        }

        Assert.Equal("count", empty.ParamName);
        Assert.Contains("must be between 1 and the capacity 8", empty.Message);
        Assert.NotNull(tooMany);
        Assert.Equal("count", tooMany.ParamName);
        Assert.Equal(0, topic[0].EndOffset);
        publisher.PublishTo(topic, 0, new TestEvent(1));
        publisher.Commit();
        Assert.Equal([1L], Drain(reader));
    }

    /// <summary>Plain events 0 to 3 the reader has not read, then a transaction publishing 4 to 7: the ring is full.</summary>
    private static void FillRingAroundAnOpenTransaction(Topic<TestEvent> topic, TransactionalPublisher publisher)
    {
        for (int i = 0; i < 4; i++)
        {
            topic[0].Publish(new TestEvent(i));
        }

        publisher.Begin();
        for (int i = 4; i < 8; i++)
        {
            publisher.PublishTo(topic, 0, new TestEvent(i));
        }
    }

    /// <summary>
    /// The single-writer hot path checks the partition's state too: a publish after the topic completed throws as the
    /// general claim does, publishing nothing. A reader gates the ring, so the hot path's other checks let it through
    /// (an ungated writer always takes the general claim).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PublishTo_AfterTheTopicCompletedOrWasDisposedMidTransaction_ThrowsAndPublishesNothing(bool dispose)
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("closing");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        publisher.PublishTo(topic, 0, new TestEvent(2));
        if (dispose)
        {
            topic.Dispose();
        }
        else
        {
            topic.Complete();
        }

        Exception ex = Record.Exception(() => publisher.PublishTo(topic, 0, new TestEvent(3)));

        Assert.IsAssignableFrom<InvalidOperationException>(ex);
        Assert.Contains("'txn'", ex.Message);
        Assert.Equal(2, topic[0].EndOffset);
        Assert.Equal([1L, 2L], Drain(reader));
    }
}
