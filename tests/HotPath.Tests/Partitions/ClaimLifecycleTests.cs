using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// Edges of a claim's life that mutation testing found unwatched: disposing an abandoned claim again after its offset
/// was claimed anew must not abandon the new claim, and a batch claim's indexer refuses the index equal to its count.
/// </summary>
public class ClaimLifecycleTests
{
    [Fact]
    public void Dispose_AbandonedSingleWriterClaimDisposedAgainAfterReclaim_LeavesTheNewClaimOpen()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "reclaim", Capacity = 8, PublishMode = PublishMode.SingleWriter });
        Partition<TestEvent> partition = topic[0];
        EventClaim<TestEvent> first = partition.Claim();
        first.Dispose();   // abandoned: offset 0 is given back

        EventClaim<TestEvent> second = partition.Claim();
        Assert.Equal(0, second.Offset);
        first.Dispose();   // the same variable again: already done, must not touch the new claim at offset 0

        second.Event = new TestEvent(42);
        second.Publish();
        using var reader = topic.CreateReader(0);
        Assert.True(reader.TryRead(out TestEvent read, out long offset));
        Assert.Equal((0L, 42L), (offset, read.Value));
    }

    /// <summary>
    /// The single writer's cold path: a batch of four abandoned, then claimed again piece by piece below the reach
    /// (one, then two, then a batch that passes the reach). Each claim gets the next offset given back, one claim at a
    /// time stays the rule there too, and claiming goes on from the reach once past it.
    /// </summary>
    [Fact]
    public void Claim_SingleWriterBatchAbandonedThenReclaimedInPieces_OffsetsInOrderOneClaimAtATime()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "pieces", Capacity = 8, PublishMode = PublishMode.SingleWriter });
        Partition<TestEvent> partition = topic[0];
        using var reader = topic.CreateReader(0);
        partition.ClaimBatch(4).Dispose();   // offsets 0-3 given back; the reach stays at 4

        EventClaim<TestEvent> one = partition.Claim();
        Assert.Equal(0, one.Offset);
        Assert.Throws<InvalidOperationException>(() => partition.Claim());
        one.Event = new TestEvent(0);
        one.Publish();

        BatchClaim<TestEvent> two = partition.ClaimBatch(2);
        Assert.Equal(1, two.FirstOffset);
        Assert.Throws<InvalidOperationException>(() => partition.ClaimBatch(1));
        two[0] = new TestEvent(1);
        two[1] = new TestEvent(2);
        two.Publish();

        // Offset 3 is the last one given back; this batch runs past the reach (3, 4, 5).
        Assert.True(partition.TryClaimBatch(3, out BatchClaim<TestEvent> past));
        Assert.Equal(3, past.FirstOffset);
        for (int i = 0; i < 3; i++)
        {
            past[i] = new TestEvent(3 + i);
        }

        past.Publish();
        Assert.Equal(6, partition.Publish(new TestEvent(6)));

        for (long expected = 0; expected <= 6; expected++)
        {
            Assert.True(reader.TryRead(out TestEvent read, out long offset));
            Assert.Equal((expected, expected), (offset, read.Value));
        }

        Assert.False(reader.TryRead(out _, out _));
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void Indexer_IndexEqualToCount_ThrowsNamingIndex(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "bounds", Capacity = 8, PublishMode = mode });
        BatchClaim<TestEvent> batch = topic[0].ClaimBatch(3);
        ArgumentOutOfRangeException? error = null;
        try
        {
            batch[3] = new TestEvent(1);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            error = ex;
        }

        batch[2] = new TestEvent(2);
        batch.Dispose();
        Assert.NotNull(error);
        Assert.Equal("index", error.ParamName);
        Assert.Contains("between 0 and 2", error.Message);
    }
}
