using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using static HotPath.Tests.Support.CursorProbes;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A lossy cursor (a lossy group's view of a partition): where it starts, how it jumps when the writer lapped it, how
/// much it copies per dispatch, how it steps over gaps in its copies (with its cached view of the gap log), how it
/// seeks, and how a fence stops it. Events carry 100 + their offset, so a handed-out gap or overwritten slot shows.
/// </summary>
public class ReadCursorLossyTests
{
    private const string TopicName = "lossy-cursor";

    private static Topic<TestEvent> CreateTopic(PublishMode mode = PublishMode.SingleWriter, int capacity = 8) =>
        new(new TopicOptions { Name = TopicName, Capacity = capacity, PublishMode = mode });

    private static ReadCursor<TestEvent> Lossy(Partition<TestEvent> partition) =>
        new(partition, OffsetReset.Earliest, offset: null, lossy: true);

    private static List<(long Offset, long Value, bool EndOfBatch)> Dispatch(ReadCursor<TestEvent> cursor, int max, int expectedPassed)
    {
        var handler = new Recorder();
        Assert.Equal(expectedPassed, cursor.Dispatch(ref handler, max));
        return handler.Seen;
    }

    private static IEnumerable<(long, long, bool)> Events(long first, long last) =>
        Enumerable.Range((int)first, (int)(last - first + 1)).Select(o => ((long)o, 100L + o, o == last));

    /// <summary>A lossy group at <see cref="OffsetReset.Latest"/> starts at the end offset.</summary>
    [Fact]
    public void Create_LossyGroupAtLatest_StartsAtTheEndOffset()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 5);

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "latest", Lossy = true, AutoOffsetReset = OffsetReset.Latest });

        Assert.Equal(5, group.GetCommittedOffset(TopicName, 0));
    }

    /// <summary>
    /// A lossy group at <see cref="OffsetReset.Earliest"/> created after the writer lapped the ring starts at the oldest
    /// slot the writer has not reused, and its first dispatch hands out the whole ring with nothing lost.
    /// </summary>
    [Fact]
    public void Create_LossyGroupAtEarliestAfterTheWriterLapped_StartsAtTheOldestIntactSlotAndLosesNothing()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 20);

        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "earliest", Lossy = true });

        Assert.Equal(12, group.GetCommittedOffset(TopicName, 0));
        ReadCursor<TestEvent> cursor = group.TestCursor(TopicName, 0);
        Assert.Equal(Events(12, 19), Dispatch(cursor, int.MaxValue, 8));
        Assert.Equal(0, cursor.Lost);
    }

    /// <summary>A lossy cursor given an explicit offset starts there, whatever the reset.</summary>
    [Fact]
    public void Create_LossyCursorWithAnOffset_StartsThere()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 5);

        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Latest, offset: 3, lossy: true);

        Assert.Equal(3, cursor.Position);
        Assert.Equal(3, cursor.Committed);
    }

    /// <summary>
    /// The writer reused the slot of the cursor's next offset: the cursor jumps to one past the writer's reach minus the
    /// capacity plus an eighth of the ring (headroom), counts the skipped offsets lost, and hands out the rest as one
    /// batch whose last event alone is flagged as its end.
    /// </summary>
    [Fact]
    public void Dispatch_LappedByOneEvent_JumpsAnEighthOfTheRingPastTheWriterAndCountsTheSkippedLost()
    {
        using Topic<TestEvent> topic = CreateTopic();
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 9);

        Assert.Equal(Events(2, 8), Dispatch(cursor, int.MaxValue, 9));
        Assert.Equal(2, cursor.Lost);
        Assert.Equal(9, cursor.Position);
    }

    /// <summary>A lossy dispatch hands out at most the number of events asked for.</summary>
    [Fact]
    public void Dispatch_LossyWithASmallMax_HandsOutAtMostMax()
    {
        using Topic<TestEvent> topic = CreateTopic();
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 5);

        Assert.Equal(Events(0, 1), Dispatch(cursor, 2, 2));
        Assert.Equal(Events(2, 4), Dispatch(cursor, int.MaxValue, 3));
    }

    /// <summary>
    /// A lossy cursor copies at most 256 events per dispatch (its private buffer), also a cursor made by a fence: with
    /// 300 events in a ring of 512, one dispatch hands out 256, the next the other 44.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dispatch_MoreThanAChunkPublished_HandsOutOneChunkPerDispatch(bool forked)
    {
        using Topic<TestEvent> topic = CreateTopic(capacity: 512);
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        if (forked)
        {
            cursor = cursor.Fork();
        }

        Fill(topic[0], 300);

        Assert.Equal(Events(0, 255), Dispatch(cursor, int.MaxValue, 256));
        Assert.Equal(Events(256, 299), Dispatch(cursor, int.MaxValue, 44));
        Assert.Equal(0, cursor.Lost);
    }

    /// <summary>
    /// Gaps in a lossy cursor's copies are stepped over and counted: one inside a batch, and two that end the next batch,
    /// where the event before them is flagged as the batch's end.
    /// </summary>
    [Fact]
    public void Dispatch_LossyOverAGapAndTwoTrailingGaps_HandsOnlyEventsAndFlagsTheLastEventBeforeTheGaps()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, capacity: 16);
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 9, 1, 7, 8);

        Assert.Equal([(0L, 100L, false), (2L, 102L, false), (3L, 103L, true)], Dispatch(cursor, 4, 4));
        Assert.Equal(Events(4, 6), Dispatch(cursor, int.MaxValue, 5));
        Assert.Equal(3, cursor.Gaps);
        Assert.Equal(0, cursor.Lost);
        Assert.Equal(9, cursor.Position);
    }

    /// <summary>
    /// Small lossy batches across gaps: the cursor's cached next gap (from its last read of the gap log) must not let it
    /// skip a fresh read when a gap lies in the new batch, at its end or inside it.
    /// </summary>
    [Fact]
    public void Dispatch_LossySmallBatchesAcrossGaps_NeverHandsOutAGap()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, capacity: 16);
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 12, 5, 7);

        Assert.Equal(Events(0, 2), Dispatch(cursor, 3, 3));
        Assert.Equal(Events(3, 4), Dispatch(cursor, 3, 3));
        Assert.Equal([(6L, 106L, false), (8L, 108L, true)], Dispatch(cursor, 3, 3));
        Assert.Equal(Events(9, 11), Dispatch(cursor, 3, 3));
        Assert.Equal(2, cursor.Gaps);
    }

    /// <summary>
    /// A lossy handler that throws leaves the position at its event; the next dispatch hands that event out again and
    /// still steps over the gap after it, which lay in the chunk already read.
    /// </summary>
    [Fact]
    public void Dispatch_LossyAfterTheHandlerThrewBeforeAGap_RedeliversAndStepsOverTheGap()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter);
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 5, 2);
        var handler = new Recorder();
        handler.Then = offset =>
        {
            if (offset == 1 && handler.Seen.Count == 2)
            {
                throw new InvalidOperationException("handler failure at 1");
            }
        };

        Assert.Throws<InvalidOperationException>(() => cursor.Dispatch(ref handler, int.MaxValue));
        Assert.Equal(1, cursor.Position);
        Assert.Equal(4, cursor.Dispatch(ref handler, int.MaxValue));

        Assert.Equal([0L, 1L, 1L, 3L, 4L], handler.Seen.Select(s => s.Offset));
        Assert.All(handler.Seen, s => Assert.Equal(100 + s.Offset, s.Value));
        Assert.Equal(1, cursor.Gaps);
    }

    /// <summary>
    /// After a seek back, a lossy cursor whose first batch holds no gap still steps over the gap just after it: its cached
    /// next gap comes from that batch's read of the gap log, not from an older read past the seek.
    /// </summary>
    [Fact]
    public void Dispatch_LossyAfterASeekBackBeforeAGap_StepsOverTheGap()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.MultiWriter, capacity: 16);
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 8, 1, 5);
        cursor.Seek(3);
        Assert.Equal([(3L, 103L, false), (4L, 104L, false), (6L, 106L, false), (7L, 107L, true)], Dispatch(cursor, 5, 5));

        cursor.Seek(0);

        Assert.Equal(Events(0, 0), Dispatch(cursor, 1, 1));
        Assert.Empty(Dispatch(cursor, 1, 1));
        Assert.Equal([(2L, 102L, false), (3L, 103L, false), (4L, 104L, false), (6L, 106L, false), (7L, 107L, true)], Dispatch(cursor, int.MaxValue, 6));
    }

    /// <summary>
    /// A lossy batch dispatch copies like a lossy dispatch: lapped, it jumps past the overwritten slots, counts them lost,
    /// and hands out the intact copies one event per call.
    /// </summary>
    [Fact]
    public void DispatchBatch_LossyLapped_SkipsTheOverwrittenSlotsAndHandsOutCopiesOneEventPerCall()
    {
        using Topic<TestEvent> topic = CreateTopic();
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 9);
        var handler = new BatchRecorder();

        Assert.Equal(9, cursor.DispatchBatch(ref handler, int.MaxValue));

        Assert.Equal(["2:102", "3:103", "4:104", "5:105", "6:106", "7:107", "8:108"], handler.Batches);
        Assert.Equal(2, cursor.Lost);
    }

    /// <summary>
    /// A lossy cursor fenced by its handler stops at the next event: the dispatch reports the offsets it passed in this
    /// call, up to that event.
    /// </summary>
    [Fact]
    public void Dispatch_LossyFencedByTheHandler_ReportsTheOffsetsPassedUpToTheNextEvent()
    {
        using Topic<TestEvent> topic = CreateTopic();
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 3);
        Assert.Equal(Events(0, 2), Dispatch(cursor, int.MaxValue, 3));
        Assert.True(cursor.TryCommitPosition());
        Fill(topic[0], 3);
        ReadCursor<TestEvent>? replacement = null;
        var handler = new Recorder { Then = _ => replacement ??= cursor.Fork() };

        Assert.Equal(1, cursor.Dispatch(ref handler, int.MaxValue));

        Assert.Equal([3L], handler.Seen.Select(s => s.Offset));
        Assert.Equal(4, cursor.Position);
        Assert.Equal(3, replacement!.Committed);
    }

    /// <summary>
    /// Seeking a lossy group accepts exactly the offsets still in the ring, from the oldest slot the writer has not reused
    /// to the end offset; outside, it throws naming the offset, the window and the partition, and nothing moves.
    /// </summary>
    [Fact]
    public void Seek_LossyGroup_AcceptsExactlyTheRetainedWindow()
    {
        using Topic<TestEvent> topic = CreateTopic();
        using var group = new ConsumerGroup<TestEvent>(topic, new ConsumerGroupOptions { GroupId = "seek", Lossy = true });
        Fill(topic[0], 20);

        foreach (long outside in new long[] { 11, 21 })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => group.Seek(TopicName, 0, outside));
            Assert.Equal("offset", ex.ParamName);
            Assert.Equal(outside, ex.ActualValue);
            Assert.Contains($"must be within the retained window [12, 20] of partition 0 of '{TopicName}'", ex.Message);
            Assert.Equal(0, group.GetCommittedOffset(TopicName, 0));
        }

        foreach (long inside in new long[] { 12, 15, 20 })
        {
            group.Seek(TopicName, 0, inside);
            Assert.Equal(inside, group.GetCommittedOffset(TopicName, 0));
            Assert.Equal(inside, group.TestCursor(TopicName, 0).Position);
        }
    }

    /// <summary>
    /// A fenced lossy cursor refuses a seek, naming the partition, the topic and the offset: its sequence is sealed, and
    /// neither its position nor the replacement's committed offset moves.
    /// </summary>
    [Fact]
    public void Seek_FencedLossyCursor_ThrowsAndMovesNothing()
    {
        using Topic<TestEvent> topic = CreateTopic();
        ReadCursor<TestEvent> cursor = Lossy(topic[0]);
        Fill(topic[0], 5);
        ReadCursor<TestEvent> replacement = cursor.Fork();

        var ex = Assert.Throws<InvalidOperationException>(() => cursor.Seek(2));

        Assert.Contains($"the reader of partition 0 of '{TopicName}' was fenced: its seek to 2 was refused", ex.Message);
        Assert.Equal(0, cursor.Position);
        Assert.Equal(0, replacement.Committed);
    }
}
