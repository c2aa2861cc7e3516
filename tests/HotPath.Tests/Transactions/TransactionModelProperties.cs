using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Tests.Transactions;

/// <summary>
/// Model-based properties of transactions. The publisher-level one is deterministic, on the test thread: random
/// operations of plain and transactional publishers (several ids, re-created ones fenced by a higher epoch) over one or
/// two topics of small rings, with coordinator aborts played by calling the time-out's abort directly, and read-committed
/// and read-uncommitted readers created and read at random points, checked after every operation against
/// <see cref="TxnModel"/> (see <see cref="TxnModelRun"/>). The group-level one is <see cref="TxnGroupModelProperties"/>.
/// The facts below are the smallest cases of the defects the model's switches stand for: they fail until they are fixed.
/// </summary>
public sealed class TransactionModelProperties
{
    [Property(MaxTest = 1000)]
    public Property PublishersAndReaders_MatchTheSequentialModel() =>
        Prop.ForAll(TxnScenario.Arbitrary, scenario =>
        {
            using var run = new TxnModelRun(scenario);
            run.Execute();
        });

    /// <summary>
    /// The smallest case behind <see cref="TxnModel.SpanFromReach"/>: a single writer's abandoned claim gives its offset
    /// back, and the transaction publishes there again, ending exactly Capacity offsets from its first one; the span
    /// check counts to the writer's reach (one past the offset given back) and throws.
    /// </summary>
    [Fact]
    public void Publish_SingleWriterReclaimsAnAbandonedOffsetWithinTheSpan_Succeeds()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "span", Capacity = 4, PublishMode = PublishMode.SingleWriter });
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        for (int i = 0; i < 3; i++)
        {
            publisher.PublishTo(topic, 0, new TestEvent(i));
        }

        using (TransactionalClaim<TestEvent> abandoned = publisher.Claim(topic, 0))
        {
            Assert.Equal(3, abandoned.Offset);
        }

        // Offsets 0 to 3: four offsets, the ring's capacity.
        PublishResult result = publisher.PublishTo(topic, 0, new TestEvent(3));

        Assert.Equal(3, result.Offset);
        publisher.Commit();
        Assert.Equal([0L, 1L, 2L, 3L], TransactionVisibilityTests.Drain(reader));
    }

    /// <summary>
    /// The smallest case behind <see cref="TxnModel.TryReadCommitsSkippedOffsets"/>: a read-committed pull reader drained
    /// with TryRead steps over an aborted transaction but commits nothing past it, so it keeps gating the writer at the
    /// transaction's first offset: with the ring full of aborted events the writer can never publish again, and the
    /// reader never gets another event (Poll commits what it stepped over; TryRead does not).
    /// </summary>
    [Fact]
    public void TryRead_DrainedPastAnAbortedTransaction_NoLongerHoldsTheWriterBack()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "tail", Capacity = 4 });
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("p");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        publisher.PublishBatch(topic, 0, [new TestEvent(1), new TestEvent(2), new TestEvent(3), new TestEvent(4)]);
        publisher.Abort();

        Assert.False(reader.TryRead(out _, out _));
        Assert.Equal(4, reader.Position);
        Assert.Equal(4, reader.Aborted);

        Assert.Equal(0, reader.Lag);
        Assert.True(topic[0].TryPublish(new TestEvent(5), out long offset), "the reader passed every offset: the writer has room");
        Assert.Equal(4, offset);
    }
}
