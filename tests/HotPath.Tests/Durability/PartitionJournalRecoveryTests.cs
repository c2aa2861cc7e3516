using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class PartitionJournalRecoveryTests
{
    private const int EventSize = JournalTestDirectory.EventSize;
    private const int HeaderSize = 64;

    /// <summary>The frame size of a batch of <paramref name="events"/> events.</summary>
    private static int FrameOf(int events) => 8 + 24 + (events * EventSize);

    /// <summary>Appends batches of 2, 3 and 4 events, flushes, and "crashes" (closes without a checkpoint past the open one).</summary>
    private static void WriteThreeBatchesAndCrash(JournalTestDirectory dir)
    {
        PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.AppendEvents(2, JournalTestDirectory.Events(2, 3), 2);
        journal.AppendEvents(5, JournalTestDirectory.Events(5, 4), 3);
        journal.Flush();
        journal.AbandonForTest();
    }

    private static void AssertFirstTwoBatchesIntactAndAppendsContinue(JournalTestDirectory dir, PartitionJournal journal)
    {
        Assert.Equal(0, journal.StartOffset);
        Assert.Equal(5, journal.EndOffset);
        Assert.Equal(5, journal.FlushedEnd);
        (List<byte[]?> entries, _) = JournalTestDirectory.ReadAll(journal);
        Assert.Equal(JournalTestDirectory.Events(0, 5), entries.SelectMany(e => e!).ToArray());
        Assert.Equal(HeaderSize + FrameOf(2) + FrameOf(3), new FileInfo(dir.SegmentPath(0)).Length);

        Assert.Throws<ArgumentOutOfRangeException>(() => journal.AppendEvents(9, JournalTestDirectory.Events(9, 1), 4));
        journal.AppendEvents(5, JournalTestDirectory.Events(5, 1, salt: 77), 4);
        journal.Flush();
        byte[] buffer = new byte[EventSize];
        Assert.Equal(new JournalRun(5, 1, false), journal.Read(5, buffer));
        Assert.Equal(JournalTestDirectory.Events(5, 1, salt: 77), buffer);
    }

    [Fact]
    public void Open_LastFrameCutInTheMiddle_TruncatesTheTornTailAndReportsIt()
    {
        using var dir = new JournalTestDirectory();
        WriteThreeBatchesAndCrash(dir);
        long length = new FileInfo(dir.SegmentPath(0)).Length;
        using (FileStream file = File.OpenWrite(dir.SegmentPath(0)))
        {
            file.SetLength(length - 10);
        }

        using PartitionJournal journal = dir.Open();

        long lastFrame = HeaderSize + FrameOf(2) + FrameOf(3);
        JournalRecovery recovery = journal.Recovery;
        Assert.Equal(dir.SegmentPath(0), recovery.TruncatedFile);
        Assert.Equal(lastFrame, recovery.TruncatedAt);
        Assert.Equal(FrameOf(4) - 10, recovery.TruncatedBytes);
        Assert.Contains("cut short", recovery.TruncationReason);
        Assert.Equal(
            $"recovered 1 segment, offsets [0, 5); truncated a torn tail of {FrameOf(4) - 10} bytes at byte {lastFrame} of 00000000000000000000.log (a frame cut short: {FrameOf(4) - 10} of {FrameOf(4)} bytes)",
            recovery.ToString());
        AssertFirstTwoBatchesIntactAndAppendsContinue(dir, journal);
    }

    [Fact]
    public void Open_LastFrameChecksumByteFlipped_TruncatesAndReportsChecksumMismatch()
    {
        using var dir = new JournalTestDirectory();
        WriteThreeBatchesAndCrash(dir);
        long lastFrame = HeaderSize + FrameOf(2) + FrameOf(3);
        JournalTestDirectory.FlipByte(dir.SegmentPath(0), lastFrame + 4);

        using PartitionJournal journal = dir.Open();

        Assert.Equal(lastFrame, journal.Recovery.TruncatedAt);
        Assert.Equal(FrameOf(4), journal.Recovery.TruncatedBytes);
        Assert.Equal("checksum mismatch", journal.Recovery.TruncationReason);
        AssertFirstTwoBatchesIntactAndAppendsContinue(dir, journal);
    }

    [Fact]
    public void Open_TrailingPartialFrameHeader_TruncatesIt()
    {
        using var dir = new JournalTestDirectory();
        WriteThreeBatchesAndCrash(dir);
        long lastFrame = HeaderSize + FrameOf(2) + FrameOf(3);
        using (FileStream file = File.OpenWrite(dir.SegmentPath(0)))
        {
            file.SetLength(lastFrame + 5);
        }

        using PartitionJournal journal = dir.Open();

        Assert.Equal(lastFrame, journal.Recovery.TruncatedAt);
        Assert.Equal(5, journal.Recovery.TruncatedBytes);
        Assert.Contains("frame header cut short", journal.Recovery.TruncationReason);
        AssertFirstTwoBatchesIntactAndAppendsContinue(dir, journal);
    }

    [Fact]
    public void Open_NewLastSegmentWithTornHeader_DeletesItAndReports()
    {
        using var dir = new JournalTestDirectory();
        using (PartitionJournal journal = dir.Open())
        {
            journal.AppendEvents(0, JournalTestDirectory.Events(0, 5), 1);
        }

        File.WriteAllBytes(dir.SegmentPath(5), new byte[30]);

        using PartitionJournal reopened = dir.Open();

        Assert.False(File.Exists(dir.SegmentPath(5)));
        Assert.Equal(dir.SegmentPath(5), reopened.Recovery.TruncatedFile);
        Assert.Equal(30, reopened.Recovery.TruncatedBytes);
        Assert.Contains("torn header", reopened.Recovery.TruncationReason);
        Assert.Equal(1, reopened.SegmentCount);
        Assert.Equal(5, reopened.EndOffset);
    }

    [Fact]
    public void Open_FirstFrameDamagedBeforeTheCheckpoint_ThrowsCorruptionNamingFramePositionAndChecksum()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 3), 1);
        journal.AppendEvents(3, JournalTestDirectory.Events(3, 3), 1);
        journal.Sync();
        journal.AbandonForTest();
        JournalTestDirectory.FlipByte(dir.SegmentPath(0), HeaderSize + 8 + 24 + 3);

        var ex = Assert.Throws<JournalCorruptionException>(() => dir.Open());

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Equal(HeaderSize, ex.Position);
        Assert.Contains("checksum", ex.Reason);
        Assert.Contains(dir.SegmentPath(0), ex.Message);
    }

    [Fact]
    public void Read_DamagedBatchInSealedSegment_ThrowsCorruptionNamingFileAndPosition()
    {
        using var dir = new JournalTestDirectory();
        using (PartitionJournal journal = dir.Open(segmentBytes: 8192, indexIntervalBytes: 256))
        {
            for (long offset = 0; offset < 1200; offset += 4)
            {
                journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 4), 1);
            }

            // At least three: the segment before the last is scanned whole on open (transactions), older ones only from
            // their last index entry, so damage in the first is found by the read.
            Assert.True(journal.SegmentCount >= 3);
        }

        JournalTestDirectory.FlipByte(dir.SegmentPath(0), HeaderSize + FrameOf(4) + 8 + 24 + 1);
        using PartitionJournal reopened = dir.Open(segmentBytes: 8192, indexIntervalBytes: 256);
        byte[] buffer = new byte[64 * EventSize];
        Assert.Equal(new JournalRun(0, 4, false), reopened.Read(0, buffer));

        var ex = Assert.Throws<JournalCorruptionException>(() => reopened.Read(5, buffer));

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Equal(HeaderSize + FrameOf(4), ex.Position);
        Assert.Equal("checksum mismatch", ex.Reason);
    }

    [Fact]
    public void Open_SealedSegmentIndexMissing_RebuildsIt()
    {
        using var dir = new JournalTestDirectory();
        using (PartitionJournal journal = dir.Open(segmentBytes: 1024, indexIntervalBytes: 256))
        {
            for (long offset = 0; offset < 200; offset += 4)
            {
                journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 4), 1);
            }
        }

        File.Delete(Path.ChangeExtension(dir.SegmentPath(0), ".index"));

        using PartitionJournal reopened = dir.Open(segmentBytes: 1024, indexIntervalBytes: 256);

        Assert.Equal(1, reopened.Recovery.IndexesRebuilt);
        Assert.Equal(200, reopened.EndOffset);
        Assert.Equal(200, JournalTestDirectory.ReadAll(reopened).Entries.Count);
        Assert.True(File.Exists(Path.ChangeExtension(dir.SegmentPath(0), ".index")));
    }

    [Fact]
    public void Open_WrongFormatVersion_ThrowsJournalExceptionNamingFileAndBothVersions()
    {
        using var dir = new JournalTestDirectory();
        dir.Open().Dispose();
        WriteByte(dir.SegmentPath(0), 8, 7);

        var ex = Assert.Throws<JournalException>(() => dir.Open());

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Contains("version 7", ex.Message);
        Assert.Contains("version 1", ex.Message);
    }

    [Fact]
    public void Open_WrongMagic_ThrowsJournalExceptionNamingTheFile()
    {
        using var dir = new JournalTestDirectory();
        dir.Open().Dispose();
        JournalTestDirectory.FlipByte(dir.SegmentPath(0), 0);

        var ex = Assert.Throws<JournalException>(() => dir.Open());

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Contains("magic", ex.Message);
    }

    [Fact]
    public void Open_OtherEventSize_ThrowsJournalExceptionNamingFileAndBothSizes()
    {
        using var dir = new JournalTestDirectory();
        dir.Open().Dispose();

        var ex = Assert.Throws<JournalException>(() => PartitionJournal.Open(dir.Partition, 32, new JournalSettings(1 << 20)));

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Contains(dir.SegmentPath(0), ex.Message);
        Assert.Contains("16 bytes", ex.Message);
        Assert.Contains("32 bytes", ex.Message);
        Assert.Contains("event type changed", ex.Message);
    }

    [Fact]
    public void Open_ParentDirectoryMissing_ThrowsJournalExceptionNamingThePath()
    {
        using var dir = new JournalTestDirectory();
        string path = Path.Combine(dir.Root, "missing", "p0");

        var ex = Assert.Throws<JournalException>(() => PartitionJournal.Open(path, EventSize, new JournalSettings(1 << 20)));

        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Open_PathIsAFile_ThrowsJournalExceptionNamingThePathAndTheOsError()
    {
        using var dir = new JournalTestDirectory();
        File.WriteAllText(dir.Partition, "not a directory");

        var ex = Assert.Throws<JournalException>(() => dir.Open());

        Assert.Equal(dir.Partition, ex.Path);
        Assert.Contains(dir.Partition, ex.Message);
        IOException inner = Assert.IsAssignableFrom<IOException>(ex.InnerException);
        Assert.Contains(inner.Message, ex.Message);
    }

    private static void WriteByte(string path, long position, byte value)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position;
        file.WriteByte(value);
    }
}
