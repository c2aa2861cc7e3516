using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// In-place claims inside a transaction (<see cref="TransactionalClaim{T}"/>, <see cref="TransactionalBatchClaim{T}"/>):
/// what they report, their bounds, and publishing or abandoning them once.
/// </summary>
public class TransactionalClaimTests
{
    [Fact]
    public void Claims_OnTheSecondPartition_ReportItAndDefaultClaimsReportMinusOne()
    {
        using Topic<TestEvent> topic = CreateTopic(partitions: 2);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("claims");
        publisher.Begin();

        using (TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 1))
        {
            Assert.Equal(1, claim.Partition);
        }

        using (TransactionalBatchClaim<TestEvent> batch = publisher.ClaimBatch(topic, 1, 2))
        {
            Assert.Equal(1, batch.Partition);
            Assert.Equal(2, batch.Count);
        }

        Assert.Equal(-1, default(TransactionalClaim<TestEvent>).Partition);
        Assert.Equal(-1, default(TransactionalBatchClaim<TestEvent>).Partition);
        publisher.Abort();
    }

    [Fact]
    public void BatchClaimIndexer_OutsideTheBatch_ThrowsNamingTheRange()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("claims");
        publisher.Begin();
        TransactionalBatchClaim<TestEvent> batch = publisher.ClaimBatch(topic, 0, 3);
        try
        {
            batch[2].Value = 2;
            ArgumentOutOfRangeException? past = null;
            ArgumentOutOfRangeException? negative = null;
            try
            {
                batch[3].Value = 3;
            }
            catch (ArgumentOutOfRangeException ex)
            {
                past = ex;
            }

            try
            {
                batch[-1].Value = -1;
            }
            catch (ArgumentOutOfRangeException ex)
            {
                negative = ex;
            }

            Assert.NotNull(past);
            Assert.Equal("index", past.ParamName);
            Assert.Contains("must be between 0 and 2", past.Message);
            Assert.NotNull(negative);
        }
        finally
        {
            batch.Dispose();
        }

        publisher.Abort();
    }

    [Fact]
    public void DefaultClaims_PublishThrowsAndDisposeDoesNothing()
    {
        TransactionalClaim<TestEvent> claim = default;
        TransactionalBatchClaim<TestEvent> batch = default;
        InvalidOperationException? one = PublishCatching<InvalidOperationException>(claim);
        InvalidOperationException? many = PublishCatching<InvalidOperationException>(batch);

        claim.Dispose();
        batch.Dispose();

        Assert.NotNull(one);
        Assert.NotNull(many);
        Assert.Contains("already published or abandoned", one.Message);
        Assert.Contains("already published or abandoned", many.Message);
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void ClaimPublish_Twice_ThrowsAndTheEventIsReadOnce(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("claims");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        // One claim at a time (a single writer allows no more).
        TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0);
        claim.Event = new TestEvent(1);
        claim.Publish();
        TransactionalBatchClaim<TestEvent> batch = publisher.ClaimBatch(topic, 0, 2);
        batch[0] = new TestEvent(2);
        batch[1] = new TestEvent(3);
        batch.Publish();
        bool claimThrew = PublishCatching<InvalidOperationException>(claim) is not null;
        bool batchThrew = PublishCatching<InvalidOperationException>(batch) is not null;

        claim.Dispose();
        batch.Dispose();
        publisher.Commit();

        Assert.True(claimThrew);
        Assert.True(batchThrew);
        Assert.Equal([1L, 2L, 3L], Drain(reader));
        Assert.Equal(3, topic[0].EndOffset);
    }

    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void BatchClaimDispose_Unpublished_AbandonsEverySlotAndTheTransactionCommitsTheRest(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("claims");
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        publisher.Begin();
        publisher.PublishTo(topic, 0, new TestEvent(1));
        using (TransactionalBatchClaim<TestEvent> abandoned = publisher.ClaimBatch(topic, 0, 3))
        {
            Assert.Equal(1, abandoned.FirstOffset);
            for (int i = 0; i < 3; i++)
            {
                abandoned[i].Value = 666;
            }
        }

        publisher.PublishTo(topic, 0, new TestEvent(2));
        publisher.Commit();

        Assert.Equal([1L, 2L], Drain(reader));
        // Multi-writer: the three abandoned offsets are a gap; single writer: they were given back and claimed again.
        Assert.Equal(mode == PublishMode.MultiWriter ? 5 : 2, topic[0].EndOffset);
    }
}
