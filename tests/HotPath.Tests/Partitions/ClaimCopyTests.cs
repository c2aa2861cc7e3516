using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// Claims are structs: <c>using (claim) { …; claim.Publish(); }</c> disposes a copy taken when the using statement
/// starts, which never saw the publish. Whether a claim is still open is the partition's state, not the copy's: a copy
/// disposed after the claim was published does nothing, and a second publish through a copy is refused.
/// </summary>
public class ClaimCopyTests
{
    private static List<(long Offset, long Value)> ReadAll(Topic<TestEvent> topic)
    {
        using var reader = topic.CreateReader(0);
        var seen = new List<(long Offset, long Value)>();
        while (reader.TryRead(out TestEvent @event, out long offset))
        {
            seen.Add((offset, @event.Value));
        }

        return seen;
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void TryClaim_UsingStatementOnTheVariable_PublishedEventIsKeptAndNextClaimWorks(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "copies", Capacity = 8, PublishMode = mode });
        Partition<TestEvent> partition = topic[0];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(partition.TryClaim(out EventClaim<TestEvent> claim));
            using (claim)
            {
                claim.Event = new TestEvent(100 + i);
                claim.Publish();
            }
        }

        Assert.True(partition.TryClaimBatch(2, out BatchClaim<TestEvent> batch));
        using (batch)
        {
            batch[0] = new TestEvent(103);
            batch[1] = new TestEvent(104);
            batch.Publish();
        }

        Assert.Equal([(0, 100), (1, 101), (2, 102), (3, 103), (4, 104)], ReadAll(topic));
        Assert.Equal(5, partition.EndOffset);
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void Claim_PublishedThroughOneCopyThenThroughAnother_SecondPublishThrows(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "copies", Capacity = 8, PublishMode = mode });
        Partition<TestEvent> partition = topic[0];
        Assert.True(partition.TryClaim(out EventClaim<TestEvent> claim));
        EventClaim<TestEvent> copy = claim;
        claim.Event = new TestEvent(7);
        claim.Publish();

        bool threw = false;
        try
        {
            copy.Publish();
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }

        Assert.True(threw, "a second publish of the same claim through a copy is refused");
        Assert.Equal([(0, 7)], ReadAll(topic));
    }

    /// <summary>The message of the <see cref="InvalidOperationException"/> that publishing <paramref name="claim"/> throws,
    /// or null when it published. Claims are ref structs, which lambdas cannot capture.</summary>
    private static string? PublishRefused(ref EventClaim<TestEvent> claim)
    {
        try
        {
            claim.Publish();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <inheritdoc cref="PublishRefused(ref EventClaim{TestEvent})"/>
    private static string? PublishRefused(ref BatchClaim<TestEvent> claim)
    {
        try
        {
            claim.Publish();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void BatchClaim_PublishedTwiceOrThroughACopy_RefusedAndPublishedOnce(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "copies", Capacity = 8, PartitionCount = 2, PublishMode = mode });
        Partition<TestEvent> partition = topic[1];
        Assert.True(partition.TryClaimBatch(2, out BatchClaim<TestEvent> batch));
        Assert.Equal(1, batch.Partition);
        BatchClaim<TestEvent> copy = batch;
        batch[0] = new TestEvent(10);
        batch[1] = new TestEvent(11);
        batch.Publish();

        Assert.Equal("this claim was already published or abandoned", PublishRefused(ref batch));
        Assert.Equal("this claim was already published or abandoned", PublishRefused(ref copy));
        copy.Dispose();

        Assert.Equal(2, partition.EndOffset);
        using var reader = topic.CreateReader(1);
        var seen = new List<long>();
        while (reader.TryRead(out TestEvent @event, out _))
        {
            seen.Add(@event.Value);
        }

        Assert.Equal([10L, 11L], seen);
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void EventClaim_PublishedTwice_RefusedWithTheReasonAndNamesItsPartition(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "copies", Capacity = 8, PartitionCount = 2, PublishMode = mode });
        Assert.True(topic[1].TryClaim(out EventClaim<TestEvent> claim));
        Assert.Equal(1, claim.Partition);
        claim.Publish();

        Assert.Equal("this claim was already published or abandoned", PublishRefused(ref claim));
        Assert.Equal(1, topic[1].EndOffset);
    }

    /// <summary>A default claim (what TryClaim leaves when the ring is full) belongs to no partition: publishing it is
    /// refused with the usual reason, disposing it does nothing, its slots cannot be reached.</summary>
    [Fact]
    public void DefaultClaims_PublishRefusedDisposeDoesNothingNoPartition()
    {
        EventClaim<TestEvent> claim = default;
        BatchClaim<TestEvent> batch = default;
        Assert.Equal(-1, claim.Partition);
        Assert.Equal(-1, batch.Partition);

        Assert.Equal("this claim was already published or abandoned", PublishRefused(ref claim));
        Assert.Equal("this claim was already published or abandoned", PublishRefused(ref batch));
        claim.Dispose();
        batch.Dispose();

        ArgumentOutOfRangeException? error = null;
        try
        {
            batch[0] = new TestEvent(1);
        }
        catch (ArgumentOutOfRangeException e)
        {
            error = e;
        }

        Assert.NotNull(error);
        Assert.Equal("index", error.ParamName);
    }

    /// <summary>
    /// Single writer: an abandoned claim gives its offsets back, and the next claim gets the same offsets. A copy of the
    /// abandoned claim (a using statement's copy, a variable disposed twice) published or disposed after that must neither
    /// publish nor abandon the new claim: offsets do not identify a claim any more, the claim itself must.
    /// </summary>
    [Fact]
    public void SingleWriter_StaleCopiesOfAbandonedClaims_DisposedAfterTheOffsetsWereClaimedAgain_LeaveTheNewClaimsAlone()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "copies", Capacity = 8, PublishMode = PublishMode.SingleWriter });
        Partition<TestEvent> partition = topic[0];

        Assert.True(partition.TryClaimBatch(2, out BatchClaim<TestEvent> abandonedBatch));
        BatchClaim<TestEvent> staleBatch = abandonedBatch;
        abandonedBatch.Dispose();
        Assert.True(partition.TryClaimBatch(2, out BatchClaim<TestEvent> batch));
        Assert.Equal(0, batch.FirstOffset);
        Assert.NotNull(PublishRefused(ref staleBatch));
        staleBatch.Dispose();
        abandonedBatch.Dispose();
        batch[0] = new TestEvent(10);
        batch[1] = new TestEvent(11);
        Assert.Null(PublishRefused(ref batch));

        EventClaim<TestEvent> abandoned = partition.Claim();
        EventClaim<TestEvent> stale = abandoned;
        abandoned.Dispose();
        EventClaim<TestEvent> claim = partition.Claim();
        Assert.Equal(2, claim.Offset);
        Assert.NotNull(PublishRefused(ref stale));
        stale.Dispose();
        claim.Event = new TestEvent(12);
        Assert.Null(PublishRefused(ref claim));

        Assert.Equal([(0, 10), (1, 11), (2, 12)], ReadAll(topic));
    }
}
