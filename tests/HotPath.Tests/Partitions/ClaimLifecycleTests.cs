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
