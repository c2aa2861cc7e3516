using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// A transactional publisher's state machine and its errors: each misuse throws an exception that names the transactional
/// id, the epoch and the state; fencing by a newer epoch and the coordinator's time-out abort the open transaction.
/// </summary>
public class TransactionLifecycleTests
{
    [Fact]
    public void Publish_OutsideATransaction_ThrowsNamingIdEpochAndStateAndPublishesNothing()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("orders-tx");

        var ex = Assert.Throws<TransactionException>(() => publisher.PublishTo(topic, 0, new TestEvent(1)));

        Assert.Contains("'orders-tx' (epoch 0, state Ready)", ex.Message);
        Assert.Contains("cannot publish: no transaction is open", ex.Message);
        Assert.Contains("call Begin() first", ex.Message);
        Assert.Equal(TransactionState.Ready, ex.State);
        Assert.Equal(0, topic[0].EndOffset);
    }

    [Fact]
    public void Commit_WithoutBegin_Throws()
    {
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");

        var ex = Assert.Throws<TransactionException>(publisher.Commit);

        Assert.Contains("cannot commit: no transaction is open", ex.Message);
    }

    [Fact]
    public void Commit_AfterAbort_ThrowsNoTransactionIsOpen()
    {
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        publisher.Begin();
        publisher.Abort();

        var ex = Assert.Throws<TransactionException>(publisher.Commit);

        Assert.Contains("no transaction is open", ex.Message);
        Assert.Equal(TransactionState.Ready, publisher.State);
    }

    [Fact]
    public void Begin_WhileOpen_Throws()
    {
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        publisher.Begin();

        var ex = Assert.Throws<TransactionException>(publisher.Begin);

        Assert.Contains("cannot begin a transaction: a transaction is open already", ex.Message);
        Assert.Equal(TransactionState.Open, publisher.State);
        Assert.Equal("TransactionalPublisher 'p' (epoch 0, Open)", publisher.ToString());
    }

    [Fact]
    public void Abort_NothingOpen_DoesNothing()
    {
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");

        publisher.Abort();

        Assert.Equal(TransactionState.Ready, publisher.State);
    }

    [Fact]
    public void CreatePublisher_SameIdTwice_FencesTheFirstAndAbortsItsOpenTransaction()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher first = coordinator.CreatePublisher("orders-tx");
        using var reader = topic.CreateReader(0);
        first.Begin();
        first.PublishTo(topic, 0, new TestEvent(1));

        using TransactionalPublisher second = coordinator.CreatePublisher("orders-tx");

        Assert.Equal(0, first.Epoch);
        Assert.Equal(1, second.Epoch);
        Assert.Equal(1, coordinator.GetEpoch("orders-tx"));
        Assert.Equal(TransactionState.Fenced, first.State);
        var publish = Assert.Throws<ProducerFencedException>(() => first.PublishTo(topic, 0, new TestEvent(2)));
        Assert.Contains("'orders-tx' (epoch 0, state Fenced)", publish.Message);
        Assert.Contains("epoch 1", publish.Message);
        Assert.Throws<ProducerFencedException>(first.Commit);
        Assert.Throws<ProducerFencedException>(first.Begin);
        Assert.Throws<ProducerFencedException>(first.Abort);

        // The fenced transaction's event is aborted: the last stable offset is free, the reader skips it.
        Assert.Equal(1, topic[0].LastStableOffset);
        second.Begin();
        second.PublishTo(topic, 0, new TestEvent(3));
        second.Commit();
        Assert.Equal([3L], Drain(reader));
        Assert.Equal(1, reader.Aborted);
    }

    [Fact]
    public void CreatePublisher_SameIdWhileTheFirstIsIdle_FencesIt()
    {
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher first = coordinator.CreatePublisher("p");
        using TransactionalPublisher second = coordinator.CreatePublisher("p");

        Assert.Equal(TransactionState.Fenced, first.State);
        Assert.Throws<ProducerFencedException>(first.Begin);
        second.Begin();
        Assert.Equal(TransactionState.Open, second.State);
    }

    [Fact]
    public void Timeout_TransactionOpenTooLong_IsAbortedReleasingTheLastStableOffset()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("slow", TimeSpan.FromMilliseconds(50));
        using var reader = topic.CreateReader(0);
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        topic[0].Publish(new TestEvent(2));
        Assert.Equal(0, topic[0].LastStableOffset);

        Assert.True(SpinWait.SpinUntil(() => publisher.State == TransactionState.Aborted, TimeSpan.FromSeconds(10)));

        Assert.Equal(2, topic[0].LastStableOffset);
        Assert.Equal([2L], Drain(reader));
        var publish = Assert.Throws<TransactionAbortedException>(() => publisher.PublishTo(topic, 0, new TestEvent(3)));
        Assert.Contains("open longer than its time-out", publish.Reason);
        var commit = Assert.Throws<TransactionAbortedException>(publisher.Commit);
        Assert.Contains("call Abort() to acknowledge", commit.Message);
        Assert.Throws<TransactionAbortedException>(publisher.Begin);
        Assert.Equal(2, topic[0].EndOffset);

        publisher.Abort();
        Assert.Equal(TransactionState.Ready, publisher.State);
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(4));
        publisher.Commit();
        Assert.Equal([4L], Drain(reader));
    }

    [Fact]
    public void Timeout_TransactionsCommittedInTime_AreNeverAborted()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("quick", TimeSpan.FromMilliseconds(200));
        using var reader = topic.CreateReader(0);

        for (int i = 0; i < 20; i++)
        {
            publisher.Begin();
            publisher.PublishTo(topic, 0, new TestEvent(i));
            publisher.Commit();
            Thread.Sleep(15);
        }

        Assert.Equal(20, Drain(reader).Count);
        Assert.Equal(0, reader.Aborted);
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Publish_TransactionWouldSpanMoreThanTheRing_ThrowsInsteadOfWaitingAndStaysOpen(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 8);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("big");
        using var reader = topic.CreateReader(0);
        publisher.Begin();
        for (int i = 0; i < 8; i++)
        {
            publisher.PublishTo(topic, 0, new TestEvent(i));
        }

        var ex = Assert.Throws<TransactionException>(() => publisher.PublishTo(topic, 0, new TestEvent(8)));

        Assert.Contains("partition 0 of 'txn'", ex.Message);
        Assert.Contains("span offsets 0 to 8, more than the ring's capacity", ex.Message);
        Assert.Equal(8, topic[0].EndOffset);
        Assert.Equal(TransactionState.Open, publisher.State);
        publisher.Commit();
        Assert.Equal(8, Drain(reader).Count);
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter, false)]
    [InlineData(PublishMode.SingleWriter, false)]
    [InlineData(PublishMode.SingleWriter, true)]
    public void Publish_SpanFullWhileTheRingHasRoom_ThrowsAtTheSpanNotTheRing(PublishMode mode, bool claim)
    {
        // Only a read-uncommitted reader gates the ring and it reads everything at once: the ring always has room, so
        // the transaction's span alone must stop the ninth event (the ring check cannot hide a wrong span check).
        using Topic<TestEvent> topic = CreateTopic(mode, capacity: 8);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("big");
        using var uncommitted = topic.CreateReader(0, isolation: IsolationLevel.ReadUncommitted);
        topic[0].Publish(new TestEvent(-1));
        Assert.Single(Drain(uncommitted));
        publisher.Begin();
        for (int i = 0; i < 8; i++)
        {
            Publish(i);
            Assert.Single(Drain(uncommitted));
        }

        var ex = Assert.Throws<TransactionException>(() => Publish(8));

        Assert.Contains("span offsets 1 to 9, more than the ring's capacity", ex.Message);
        Assert.Equal(9, topic[0].EndOffset);
        Assert.Equal(TransactionState.Open, publisher.State);
        publisher.Commit();
        topic[0].Publish(new TestEvent(9));
        Assert.Equal([9L], Drain(uncommitted));

        void Publish(long value)
        {
            if (!claim)
            {
                publisher.PublishTo(topic, 0, new TestEvent(value));
                return;
            }

            using TransactionalClaim<TestEvent> slot = publisher.Claim(topic, 0);
            slot.Event = new TestEvent(value);
            slot.Publish();
        }
    }

    [Fact]
    public void PublishBatch_LargerThanTheRoomLeftInTheSpan_Throws()
    {
        using Topic<TestEvent> topic = CreateTopic(capacity: 8);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("big");
        publisher.Begin();
        publisher.PublishBatch(topic, 0, new TestEvent[5]);

        Assert.Throws<TransactionException>(() => publisher.PublishBatch(topic, 0, new TestEvent[4]));
        publisher.PublishBatch(topic, 0, new TestEvent[3]);

        Assert.Equal(8, topic[0].EndOffset);
        publisher.Abort();
    }

    [Fact]
    public void Dispose_OpenTransaction_AbortsItAndRetiresThePublisher()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using var reader = topic.CreateReader(0);
        TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));

        publisher.Dispose();

        Assert.Equal(TransactionState.Closed, publisher.State);
        var disposed = Assert.Throws<ObjectDisposedException>(publisher.Begin);
        Assert.Contains("transactional id 'p' (epoch 0): the publisher was disposed", disposed.Message);
        Assert.Equal(1, topic[0].LastStableOffset);
        Assert.Empty(Drain(reader));
        Assert.Equal(1, reader.Aborted);
    }

    [Fact]
    public void CoordinatorDispose_FencesLivePublishersAndAbortsTheirTransactions()
    {
        using Topic<TestEvent> topic = CreateTopic();
        var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));

        coordinator.Dispose();

        Assert.Equal(TransactionState.Fenced, publisher.State);
        Assert.Equal(1, topic[0].LastStableOffset);
        Assert.Throws<ObjectDisposedException>(() => coordinator.CreatePublisher("q"));
    }

    [Fact]
    public void CreatePublisher_BadArguments_ThrowNamingTheParameter()
    {
        using var coordinator = new TransactionCoordinator();

        var id = Assert.Throws<ArgumentException>(() => coordinator.CreatePublisher(""));
        Assert.Equal("transactionalId", id.ParamName);
        var timeout = Assert.Throws<ArgumentOutOfRangeException>(() => coordinator.CreatePublisher("p", TimeSpan.Zero));
        Assert.Equal("transactionTimeout", timeout.ParamName);
        Assert.Contains("must be from 1 ms", timeout.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionCoordinator(TimeSpan.FromMilliseconds(-1)));
    }

    [Fact]
    public void SendOffsets_NoGroupNoTransactionOrNotManualCommit_ThrowsSayingWhy()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("offsets");
        using var manual = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "manual", CommitMode = CommitMode.Manual });
        using var automatic = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "auto" });

        var noGroup = Assert.Throws<ArgumentNullException>(() => publisher.SendOffsets<TestEvent>(null!, "txn", 0, 0));
        var closed = Assert.Throws<TransactionException>(() => publisher.SendOffsets(manual, "txn", 0, 0));
        publisher.Begin();
        var notManual = Assert.Throws<TransactionException>(() => publisher.SendOffsets(automatic, "txn", 0, 0));

        Assert.Equal("group", noGroup.ParamName);
        Assert.Contains("'offsets' (epoch 0, state Ready)", closed.Message);
        Assert.Contains("cannot add offsets: no transaction is open", closed.Message);
        Assert.Contains("offsets of group 'auto' cannot be added: its CommitMode is AfterBatch", notManual.Message);
        Assert.Equal(TransactionState.Open, publisher.State);
        publisher.Abort();
    }
}
