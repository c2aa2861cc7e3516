using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// The ranges a transaction records per partition (its publishes interleaved with other writers' events make one range
/// each) and how an abort marks them: every range, also once the ranges outgrow their first array, and a second cleanup
/// (the owner acknowledging the coordinator's abort) adds nothing and does not fail.
/// </summary>
public class TransactionAbortRangesTests
{
    [Fact]
    public void Abort_MoreInterleavedRangesThanTheFirstArrayHolds_ReadCommittedSkipsEveryOne()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("ranges");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();

        // Six ranges of one offset each (a plain event after each): the array of four pairs grows once.
        PublishInterleaved(topic, publisher, ranges: 6);
        publisher.Abort();

        Assert.Equal([0L, 1L, 2L, 3L, 4L, 5L], Drain(reader));
        Assert.Equal(6, reader.Aborted);
        Assert.Equal(12, topic[0].LastStableOffset);
    }

    [Fact]
    public void Abort_AfterTheCoordinatorsAbortOfAFullRangesArray_AcknowledgesAndAddsNothing()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("ranges");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        // Exactly four ranges: the array of four pairs is full, and the second cleanup starts at its end.
        PublishInterleaved(topic, publisher, ranges: 4);

        Assert.True(publisher.AbortFromOutside("the test's abort", fence: false));
        Assert.Equal(TransactionState.Aborted, publisher.State);
        publisher.Abort();

        Assert.Equal(TransactionState.Ready, publisher.State);
        Assert.Equal([0L, 1L, 2L, 3L], Drain(reader));
        Assert.Equal(4, reader.Aborted);
        // The next transaction on the partition is unaffected by what the aborted one recorded.
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(200));
        publisher.Commit();
        Assert.Equal([200L], Drain(reader));
    }

    private static void PublishInterleaved(Topic<TestEvent> topic, TransactionalPublisher publisher, int ranges)
    {
        for (int i = 0; i < ranges; i++)
        {
            publisher.PublishTo(topic, 0, new TestEvent(100 + i));
            topic[0].Publish(new TestEvent(i));
        }
    }
}
