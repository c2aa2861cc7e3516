using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using static HotPath.Tests.Support.CursorProbes;

namespace HotPath.Tests.Consumers;

/// <summary>
/// A lossy cursor checks its copies after making them: the writer may lap it while it copies. These tests hold the
/// reader at one point of its dispatch, after its first look at the writer's reach and before its copy, by holding the
/// lock of the partition's gap log (<c>GapLog.LockForTests</c>), which the reader takes to read its view of the gaps.
/// Meanwhile the writer moves on; then the reader finishes. Events carry
/// 100 + their offset, so a handed-out overwritten slot or gap shows.
/// </summary>
public class LossyOverwriteDuringCopyTests
{
    private const int Capacity = 8;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A lossy cursor that handled offsets 0 to 3 (its position 4), with offsets 4 to 11 then claimed: 4 and 6 abandoned
    /// (gaps), the others published.
    /// </summary>
    private static ReadCursor<TestEvent> CursorBeforeAChunkWithTwoGaps(Partition<TestEvent> partition)
    {
        var cursor = new ReadCursor<TestEvent>(partition, OffsetReset.Earliest, offset: null, lossy: true);
        Fill(partition, 4);
        var warmUp = new Recorder();
        Assert.Equal(4, cursor.Dispatch(ref warmUp, int.MaxValue));
        Fill(partition, 8, 4, 6);
        return cursor;
    }

    /// <summary>
    /// Runs one dispatch of <paramref name="cursor"/> on its own thread while this thread holds the gap log's lock, runs
    /// <paramref name="whileHeld"/> once the reader waits for that lock, then lets the reader finish.
    /// </summary>
    private static (int Passed, List<(long Offset, long Value)> Seen) DispatchHeldAtTheGapRead(
        ReadCursor<TestEvent> cursor, Partition<TestEvent> partition, Action whileHeld)
    {
        object gapLock = partition.Gaps!.LockForTests; // the topics here are multi-writer: they keep a gap log
        var handler = new Recorder();
        int passed = -1;
        Exception? error = null;
        var reader = new Thread(() =>
        {
            try
            {
                passed = cursor.Dispatch(ref handler, int.MaxValue);
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true, Name = "lossy reader" };

        Monitor.Enter(gapLock);
        try
        {
            reader.Start();
            Assert.True(
                SpinWait.SpinUntil(() => (reader.ThreadState & ThreadState.WaitSleepJoin) != 0, Timeout),
                "the reader waits for the gap log");
            whileHeld();
        }
        finally
        {
            Monitor.Exit(gapLock);
        }

        Assert.True(reader.Join(Timeout), "the reader's dispatch finished");
        Assert.Null(error);
        return (passed, handler.Seen.Select(e => (e.Offset, e.Value)).ToList());
    }

    /// <summary>
    /// While the cursor copies offsets 4 to 11, the writer reuses the slots of 4 and 5: those copies are counted lost (the
    /// gap at 4 among them), the gap at 6, the first offset still intact, is stepped over, and 7 to 11 are handed out.
    /// </summary>
    [Fact]
    public void Dispatch_WriterReusesTheFirstTwoSlotsDuringTheCopy_CountsThemLostAndStepsOverTheNextGap()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "overwrite", Capacity = Capacity, PublishMode = PublishMode.MultiWriter });
        Partition<TestEvent> partition = topic[0];
        ReadCursor<TestEvent> cursor = CursorBeforeAChunkWithTwoGaps(partition);

        var (passed, seen) = DispatchHeldAtTheGapRead(cursor, partition, () => Fill(partition, 2));

        Assert.Equal(8, passed);
        Assert.Equal([(7L, 107L), (8L, 108L), (9L, 109L), (10L, 110L), (11L, 111L)], seen);
        Assert.Equal(2, cursor.Lost);
        Assert.Equal(1, cursor.Gaps);
        Assert.Equal(12, cursor.Position);
    }

    /// <summary>
    /// While the cursor copies offsets 4 to 11, the writer laps all of them: every copy is counted lost, none is handed
    /// out, the cursor moves past the chunk, and its next dispatch hands out the new lap with nothing more lost.
    /// </summary>
    [Fact]
    public void Dispatch_WriterLapsTheWholeChunkDuringTheCopy_CountsEveryCopyLostAndMovesPastIt()
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "overwrite", Capacity = Capacity, PublishMode = PublishMode.MultiWriter });
        Partition<TestEvent> partition = topic[0];
        ReadCursor<TestEvent> cursor = CursorBeforeAChunkWithTwoGaps(partition);

        var (passed, seen) = DispatchHeldAtTheGapRead(cursor, partition, () => Fill(partition, Capacity));

        Assert.Equal(8, passed);
        Assert.Empty(seen);
        Assert.Equal(8, cursor.Lost);
        Assert.Equal(12, cursor.Position);

        var next = new Recorder();
        Assert.Equal(8, cursor.Dispatch(ref next, int.MaxValue));
        Assert.Equal(Enumerable.Range(12, 8).Select(o => ((long)o, 100L + o)), next.Seen.Select(e => (e.Offset, e.Value)));
        Assert.Equal(8, cursor.Lost);
    }
}
