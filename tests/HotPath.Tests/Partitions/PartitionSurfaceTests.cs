using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Partitions;

/// <summary>
/// The partition's smaller public surface in both modes: its mode, the publish overload with a token, batch sizes
/// and time-outs refused with the rule and the value, and the end offset a monitoring thread reads while a claim is open.
/// </summary>
public class PartitionSurfaceTests
{
    public static TheoryData<PublishMode> Modes() => new() { PublishMode.SingleWriter, PublishMode.MultiWriter };

    private static Topic<TestEvent> CreateTopic(PublishMode mode, int capacity = 8) =>
        new(new TopicOptions { Name = "surface", Capacity = capacity, PublishMode = mode });

    [Theory]
    [MemberData(nameof(Modes))]
    public void Mode_IsTheTopicsPublishMode(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        Assert.Equal(mode, topic[0].Mode);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void PublishWithToken_PublishesTheEventAtTheNextOffset(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        using var cancellation = new CancellationTokenSource();

        Assert.Equal(0, topic[0].Publish(new TestEvent(5), cancellation.Token));
        Assert.Equal(1, topic[0].Publish(new TestEvent(6), cancellation.Token));

        Assert.Equal(2, topic[0].EndOffset);
        Assert.True(reader.TryRead(out TestEvent first, out long offset));
        Assert.Equal((0L, 5L), (offset, first.Value));
        Assert.True(reader.TryRead(out TestEvent second, out offset));
        Assert.Equal((1L, 6L), (offset, second.Value));
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter, 0)]
    [InlineData(PublishMode.SingleWriter, 9)]
    [InlineData(PublishMode.MultiWriter, 0)]
    [InlineData(PublishMode.MultiWriter, 9)]
    public void PublishBatchAndTryClaimBatch_CountOutOfRange_ThrowNamingCountAndPublishNothing(PublishMode mode, int count)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);
        var events = new TestEvent[count];

        var publish = Assert.Throws<ArgumentOutOfRangeException>(() => topic[0].PublishBatch(events));
        var tryClaim = Assert.Throws<ArgumentOutOfRangeException>(() => topic[0].TryClaimBatch(count, out _));

        foreach (ArgumentOutOfRangeException error in new[] { publish, tryClaim })
        {
            Assert.Equal("count", error.ParamName);
            Assert.Contains($"count must be between 1 and the capacity 8, was {count}", error.Message);
        }

        Assert.Equal(0, topic[0].EndOffset);
        Assert.Equal(0, topic[0].Publish(new TestEvent(1)));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TryPublish_NegativeTimeout_ThrowsNamingTimeoutAndTheRule(PublishMode mode)
    {
        using Topic<TestEvent> topic = CreateTopic(mode);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => topic[0].TryPublish(new TestEvent(1), TimeSpan.FromMilliseconds(-1), out _));

        Assert.Equal("timeout", error.ParamName);
        Assert.Contains("timeout must not be negative, was -00:00:00.0010000", error.Message);
        Assert.Equal(0, topic[0].EndOffset);
    }

    /// <summary>
    /// Multi-writer: offsets past an open claim may be published first. The end offset stops before the open claim
    /// however often it is read (its scans leave a hint for the next one, which must not skip the open claim).
    /// </summary>
    [Fact]
    public void EndOffset_MultiWriterClaimOpenBelowPublishedOffsets_StopsBeforeTheClaimOnEveryRead()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter);
        EventClaim<TestEvent> open = topic[0].Claim();
        topic[0].Publish(new TestEvent(1));
        topic[0].Publish(new TestEvent(2));

        for (int read = 0; read < 3; read++)
        {
            Assert.Equal(0, topic[0].EndOffset);
        }

        open.Publish();
        Assert.Equal(3, topic[0].EndOffset);
    }

    /// <summary>
    /// A lapped lossy reader jumps ahead and scans from there, past an open claim. That scan must not leave its end as a
    /// hint for <c>EndOffset</c>, which assumes everything below the hint is published: the end offset (and a
    /// registration at Latest, which starts there) would pass the open claim, and the lossless reader would never see
    /// the claim's event once published.
    /// </summary>
    [Fact]
    public void EndOffset_LossyReaderJumpedPastAnOpenClaim_StillStopsBeforeTheClaim()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter);
        Partition<TestEvent> partition = topic[0];
        var lossy = new ReadCursor<TestEvent>(partition, OffsetReset.Earliest, offset: null, lossy: true);
        for (int i = 0; i <= 8; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        EventClaim<TestEvent> open = partition.Claim();
        Assert.Equal(9, open.Offset);
        for (int i = 10; i <= 16; i++)
        {
            partition.Publish(new TestEvent(i));
        }

        var handler = new CollectingHandler();
        lossy.Dispatch(ref handler, 64);
        Assert.NotEmpty(handler.Seen);

        Assert.Equal(9, partition.EndOffset);
        using PartitionReader<TestEvent> latest = topic.CreateReader(0, OffsetReset.Latest);
        Assert.Equal(9, latest.Position);
        open.Event = new TestEvent(9);
        open.Publish();
        Assert.Equal(17, partition.EndOffset);
        Assert.True(latest.TryRead(out TestEvent @event, out long offset));
        Assert.Equal((9L, 9L), (offset, @event.Value));
    }
}
