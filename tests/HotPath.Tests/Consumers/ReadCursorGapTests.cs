using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using static HotPath.Tests.Support.CursorProbes;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A lossless cursor over a multi-writer partition steps over gaps (abandoned claims) on every reading path
/// (<c>Dispatch</c>, <c>DispatchBatch</c>, <c>TryTake</c>) and after a seek: the handler never sees a gap, a dispatch
/// returns the offsets it passed, the end-of-batch flag marks the last event handed out, and each gap is counted once.
/// </summary>
public class ReadCursorGapTests
{
    private static Topic<TestEvent> CreateTopic(PublishMode mode = PublishMode.MultiWriter) =>
        new(new TopicOptions { Name = "cursor-gaps", Capacity = 8, PublishMode = mode });

    /// <summary>
    /// A gap between two events, the partition's only gap (its gap log at version 1): a new cursor's first dispatch hands
    /// out both events in one call, the second flagged as the end of the batch, and counts the gap.
    /// </summary>
    [Fact]
    public void Dispatch_NewCursorOverTheOnlyGapBetweenTwoEvents_HandsBothEventsAndCountsTheGap()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 3, 1);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        var handler = new Recorder();

        Assert.Equal(3, cursor.Dispatch(ref handler, int.MaxValue));

        Assert.Equal([(0L, 100L, false), (2L, 102L, true)], handler.Seen);
        Assert.Equal(1, cursor.Gaps);
        Assert.Equal(3, cursor.Position);
    }

    /// <summary>
    /// A range that ends in a gap: the dispatch flags the event before the gap as the end of the batch, passes the gap,
    /// and the next dispatch starts after it (the events before it are not handed out again).
    /// </summary>
    [Fact]
    public void Dispatch_RangeEndsInAGap_PassesTheGapAndTheNextDispatchStartsAfterIt()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 3, 2);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        var first = new Recorder();

        Assert.Equal(3, cursor.Dispatch(ref first, int.MaxValue));
        Assert.Equal([(0L, 100L, false), (1L, 101L, true)], first.Seen);
        Assert.Equal(3, cursor.Position);

        topic[0].Publish(new TestEvent(103));
        var second = new Recorder();
        Assert.Equal(1, cursor.Dispatch(ref second, int.MaxValue));
        Assert.Equal([(3L, 103L, true)], second.Seen);
        Assert.Equal(1, cursor.Gaps);
    }

    /// <summary>
    /// A pull reader that seeks back before the partition's only gap steps over it again: the seek makes the cursor re-read
    /// the gap log.
    /// </summary>
    [Fact]
    public void Seek_BackBeforeTheOnlyGap_StepsOverItAgain()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 3, 1);
        using PartitionReader<TestEvent> reader = topic.CreateReader(0);
        var first = new CollectingHandler();
        Assert.Equal(3, reader.Poll(ref first, commit: false));

        reader.Seek(0);
        var again = new CollectingHandler();

        Assert.Equal(3, reader.Poll(ref again, commit: false));
        Assert.Equal([(0L, 100L), (2L, 102L)], again.Seen.Select(s => (s.Offset, s.Event.Value)));
    }

    /// <summary><c>TryTake</c> steps over gaps one at a time, returns only events, and counts each gap.</summary>
    [Fact]
    public void TryTake_OverTwoGaps_ReturnsOnlyEventsAndCountsBothGaps()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 4, 0, 2);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        var seen = new List<(long Offset, long Value)>();

        while (cursor.TryTake(out TestEvent @event, out long offset))
        {
            seen.Add((offset, @event.Value));
        }

        Assert.Equal([(1L, 101L), (3L, 103L)], seen);
        Assert.Equal(2, cursor.Gaps);
        Assert.Equal(4, cursor.Position);
    }

    /// <summary>
    /// <c>DispatchBatch</c> splits runs at gaps, never hands out an empty span (two gaps in a row, a gap at the end of the
    /// range), and returns the offsets it passed in this call.
    /// </summary>
    [Fact]
    public void DispatchBatch_ConsecutiveGapsAndAGapAtTheEnd_HandsOnlyNonEmptyRunsAndReturnsTheOffsetsPassed()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 7, 2, 3, 6);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        var first = new BatchRecorder();
        Assert.Equal(1, cursor.DispatchBatch(ref first, 1));
        Assert.Equal(["0:100"], first.Batches);

        var rest = new BatchRecorder();
        Assert.Equal(6, cursor.DispatchBatch(ref rest, int.MaxValue));

        Assert.Equal(["1:101", "4:104,105"], rest.Batches);
        Assert.Equal(3, cursor.Gaps);
        Assert.Equal(7, cursor.Position);
    }

    /// <summary>
    /// A cursor fenced by its handler in a range with gaps stops at the next event: the offsets it reports as passed end
    /// there, and it steps over no gap beyond it (a fenced member's handled count, passed minus gaps, is what its handler
    /// saw).
    /// </summary>
    [Fact]
    public void Dispatch_FencedByTheHandlerBeforeTwoMoreGaps_StopsAtTheNextEvent()
    {
        using Topic<TestEvent> topic = CreateTopic();
        Fill(topic[0], 5, 1, 3);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        ReadCursor<TestEvent>? replacement = null;
        var handler = new Recorder { Then = _ => replacement ??= cursor.Fork() };

        Assert.Equal(2, cursor.Dispatch(ref handler, int.MaxValue));

        Assert.Equal([0L], handler.Seen.Select(s => s.Offset));
        Assert.Equal(2, cursor.Position);
        Assert.Equal(1, cursor.Gaps);
        Assert.True(cursor.IsFenced);
        Assert.Equal(0, replacement!.Committed);
    }

    /// <summary>
    /// <c>DispatchBatch</c> on a cursor fenced by its handler hands out no further run (here, the run after the ring wraps),
    /// and reports the offsets passed up to the fence.
    /// </summary>
    [Fact]
    public void DispatchBatch_FencedDuringTheRunBeforeTheWrap_HandsOutNoFurtherRun()
    {
        using Topic<TestEvent> topic = CreateTopic(PublishMode.SingleWriter);
        Fill(topic[0], 6);
        var cursor = new ReadCursor<TestEvent>(topic[0], OffsetReset.Earliest, offset: null);
        var first = new BatchRecorder();
        Assert.Equal(6, cursor.DispatchBatch(ref first, int.MaxValue));
        Assert.True(cursor.TryCommitPosition());
        Fill(topic[0], 4);

        ReadCursor<TestEvent>? replacement = null;
        var handler = new BatchRecorder { Then = () => replacement ??= cursor.Fork() };

        Assert.Equal(2, cursor.DispatchBatch(ref handler, int.MaxValue));
        Assert.Equal(["6:106,107"], handler.Batches);
        Assert.Equal(8, cursor.Position);
        Assert.Equal(6, replacement!.Committed);
    }
}
