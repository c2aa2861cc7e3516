using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// <see cref="PartitionJournal.FlushChunks"/>: an appender that is behind writes whole 64 KiB chunks only; the flushed end
/// covers only the batches written whole, and a crash in between loses nothing it covered.
/// </summary>
public sealed class PartitionJournalChunkFlushTests
{
    private const int EventsPerBatch = 1000;

    /// <summary>A batch of 1,000 events of 16 bytes: frame header, batch header, events.</summary>
    private const int FrameBytes = FrameLayout.HeaderSize + SegmentLayout.BatchHeaderSize + (EventsPerBatch * JournalTestDirectory.EventSize);

    [Fact]
    public void FlushChunks_WritesWholeChunksOnlyAndPublishesTheBatchesWrittenWhole()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 1 << 22);
        AppendBatches(journal, 5);

        journal.FlushChunks();

        // Five frames end at 64 + 5 x 16,032 = 80,224; the chunk boundary below is 65,536, past the fourth frame's end.
        Assert.Equal(JournalStaging.DefaultChunkBytes, new FileInfo(dir.SegmentPath(0)).Length);
        Assert.Equal(4 * EventsPerBatch, journal.FlushedEnd);
        Assert.True(journal.HasUnwritten);
        byte[] buffer = new byte[JournalTestDirectory.EventSize];
        Assert.Equal(new JournalRun(3999, 1, false), journal.Read(3999, buffer));
        Assert.Equal(JournalTestDirectory.Events(3999, 1), buffer);

        journal.FlushChunks();
        Assert.Equal(4 * EventsPerBatch, journal.FlushedEnd);

        journal.Flush();
        Assert.Equal(FileHeaderLayout.Size + (5L * FrameBytes), new FileInfo(dir.SegmentPath(0)).Length);
        Assert.Equal(5 * EventsPerBatch, journal.FlushedEnd);
        Assert.False(journal.HasUnwritten);
    }

    [Fact]
    public void FlushChunks_ThenACrash_TheHeldBackBatchIsATornTailAndEverythingFlushedIsKept()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open(segmentBytes: 1 << 22);
        AppendBatches(journal, 5);
        journal.FlushChunks();
        long flushed = journal.FlushedEnd;
        journal.AbandonForTest();

        using PartitionJournal reopened = dir.Open(segmentBytes: 1 << 22);

        Assert.Equal(flushed, reopened.EndOffset);
        Assert.True(reopened.Recovery.Truncated, reopened.Recovery.ToString());
        Assert.Equal(FileHeaderLayout.Size + (4L * FrameBytes), reopened.Recovery.TruncatedAt);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(reopened, bufferEvents: 256);
        Assert.Equal(JournalTestDirectory.Events(0, (int)flushed), entries.SelectMany(e => e!).ToArray());
    }

    [Fact]
    public void FlushChunks_AcrossARoll_WritesTheOldSegmentWholeFirst()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: FileHeaderLayout.Size + (3 * FrameBytes));
        AppendBatches(journal, 4);

        journal.FlushChunks();

        // The fourth batch rolled the segment: the three before it were written whole by the roll; the fourth, in the
        // new segment short of a chunk, is held back.
        Assert.Equal(2, journal.SegmentCount);
        Assert.Equal(3 * EventsPerBatch, journal.FlushedEnd);
        Assert.True(journal.HasUnwritten);
        journal.Flush();
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(journal, bufferEvents: 256);
        Assert.Equal(JournalTestDirectory.Events(0, 4 * EventsPerBatch), entries.SelectMany(e => e!).ToArray());
    }

    private static void AppendBatches(PartitionJournal journal, int batches)
    {
        for (int b = 0; b < batches; b++)
        {
            long first = (long)b * EventsPerBatch;
            journal.AppendEvents(first, JournalTestDirectory.Events(first, EventsPerBatch), b + 1);
        }
    }
}
