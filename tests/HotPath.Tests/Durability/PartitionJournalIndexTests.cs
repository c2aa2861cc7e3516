using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class PartitionJournalIndexTests
{
    private const int EventSize = JournalTestDirectory.EventSize;
    private const int FrameSize = 8 + 24 + EventSize;

    [Theory]
    [InlineData(4096)]
    [InlineData(512)]
    public void Read_DeepInLargeSegment_ScansAtMostOneIndexIntervalOfFrames(int interval)
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 4 << 20, indexIntervalBytes: interval);
        byte[] one = new byte[EventSize];
        for (long offset = 0; offset < 20_000; offset++)
        {
            journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 1), 0);
        }

        journal.Flush();
        Assert.Equal(1, journal.SegmentCount);
        long bound = (interval / FrameSize) + 1;

        foreach (long offset in new long[] { 0, 1, 85, 86, 9_999, 15_000, 19_999 })
        {
            long before = journal.FramesScanned;
            Assert.Equal(new JournalRun(offset, 1, false), journal.Read(offset, one));
            long scanned = journal.FramesScanned - before;
            Assert.True(scanned <= bound, $"offset {offset}: scanned {scanned} frames, bound {bound}");
            Assert.Equal(JournalTestDirectory.Events(offset, 1), one);
        }

        // The same after a reopen: the index is rebuilt from the scan of the last segment.
        journal.Dispose();
        using PartitionJournal reopened = dir.Open(segmentBytes: 4 << 20, indexIntervalBytes: interval);
        long start = reopened.FramesScanned;
        reopened.Read(19_998, one);
        Assert.True(reopened.FramesScanned - start <= bound);
    }

    [Fact]
    public void AppendEventsAndFlush_AfterWarmUp_AllocateNothing()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 64 << 20);
        byte[] events = JournalTestDirectory.Events(0, 4);
        long offset = 0;
        for (int i = 0; i < 2_000; i++)
        {
            journal.AppendEvents(offset, events, i);
            offset += 4;
            journal.AppendTransactionEvents(offset, events, i, transaction: i);
            offset += 4;
            journal.AppendTransactionEnd(i, i);
            journal.Flush();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20_000; i++)
        {
            journal.AppendEvents(offset, events, i);
            offset += 4;
            if ((i & 3) == 3)
            {
                journal.AppendGap(offset, 2, i);
                offset += 2;
            }
            else if ((i & 3) == 1)
            {
                // A transaction's batch and its end marker: the same frames, 8 bytes longer, and a 40-byte marker.
                journal.AppendTransactionEvents(offset, events, i, transaction: i);
                offset += 4;
                journal.AppendTransactionEnd(i, i);
            }

            journal.Flush();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(offset, journal.FlushedEnd);
    }
}
