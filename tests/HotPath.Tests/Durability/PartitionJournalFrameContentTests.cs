using HotPath.Durability;

namespace HotPath.Tests.Durability;

/// <summary>
/// Recovery of frames that are whole (their checksum matches) but whose batch is wrong: an offset out of order or an
/// unknown kind is a torn tail after the checkpoint and corruption before it; a missing segment breaks the offsets.
/// </summary>
public sealed class PartitionJournalFrameContentTests
{
    private const int EventSize = JournalTestDirectory.EventSize;
    private const int HeaderSize = 64;
    private const int TwoEventFrame = 8 + 24 + (2 * EventSize);

    [Theory]
    [InlineData(7, 1, "offset out of order: expected 2, found 7")]
    [InlineData(2, 5, "unknown batch kind 5")]
    public void Open_WholeFrameWithWrongBatchAfterCheckpoint_TruncatesIt(long baseOffset, byte kind, string reason)
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.Sync();
        journal.AppendEvents(2, JournalTestDirectory.Events(2, 2), 1);
        journal.Flush();
        journal.AbandonForTest();
        RewriteBatch(dir.SegmentPath(0), HeaderSize + TwoEventFrame, kind, baseOffset);

        using PartitionJournal reopened = dir.Open();

        Assert.Equal(HeaderSize + TwoEventFrame, reopened.Recovery.TruncatedAt);
        Assert.StartsWith(reason, reopened.Recovery.TruncationReason);
        Assert.Equal(2, reopened.EndOffset);
    }

    [Theory]
    [InlineData(7, 1, "offset out of order: expected 2, found 7")]
    [InlineData(2, 5, "unknown batch kind 5")]
    public void Open_WholeFrameWithWrongBatchBeforeCheckpoint_ThrowsCorruption(long baseOffset, byte kind, string reason)
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.AppendEvents(2, JournalTestDirectory.Events(2, 2), 1);
        journal.Sync();
        journal.AbandonForTest();
        RewriteBatch(dir.SegmentPath(0), HeaderSize + TwoEventFrame, kind, baseOffset);

        var ex = Assert.Throws<JournalCorruptionException>(() => dir.Open());

        Assert.Equal(dir.SegmentPath(0), ex.Path);
        Assert.Equal(HeaderSize + TwoEventFrame, ex.Position);
        Assert.StartsWith(reason, ex.Reason);
    }

    [Fact]
    public void Open_FileShorterThanTheCheckpoint_ThrowsCorruption()
    {
        using var dir = new JournalTestDirectory();
        PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 1);
        journal.AppendEvents(2, JournalTestDirectory.Events(2, 2), 1);
        journal.Sync();
        journal.AbandonForTest();
        using (FileStream file = File.OpenWrite(dir.SegmentPath(0)))
        {
            file.SetLength(HeaderSize + TwoEventFrame);
        }

        var ex = Assert.Throws<JournalCorruptionException>(() => dir.Open());

        Assert.Equal(HeaderSize + TwoEventFrame, ex.Position);
        Assert.Contains("before the checkpoint", ex.Reason);
    }

    [Fact]
    public void Open_MiddleSegmentMissing_ThrowsCorruptionOffsetOutOfOrder()
    {
        using var dir = new JournalTestDirectory();
        var bases = new List<long>();
        using (PartitionJournal journal = dir.Open(segmentBytes: 256))
        {
            for (long offset = 0; offset < 20; offset += 2)
            {
                journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 2), 1);
            }

            Assert.True(journal.SegmentCount >= 3);
        }

        foreach (string file in Directory.GetFiles(dir.Partition, "*.log").Order())
        {
            bases.Add(long.Parse(Path.GetFileNameWithoutExtension(file)));
        }

        File.Delete(dir.SegmentPath(bases[1]));

        var ex = Assert.Throws<JournalCorruptionException>(() => dir.Open(segmentBytes: 256));

        Assert.Equal(dir.SegmentPath(bases[2]), ex.Path);
        Assert.Equal($"offset out of order: expected {bases[1]}, found {bases[2]}", ex.Reason);
    }

    /// <summary>Rewrites the batch header of the frame at <paramref name="position"/> and seals the frame again (a whole frame with a wrong batch).</summary>
    private static void RewriteBatch(string path, long position, byte kind, long baseOffset)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        byte[] frame = new byte[TwoEventFrame];
        file.Position = position;
        file.ReadExactly(frame);
        SegmentLayout.BatchHeader header = SegmentLayout.ReadBatchHeader(frame.AsSpan(8));
        SegmentLayout.WriteBatchHeader(frame.AsSpan(8), kind, header.Count, baseOffset, header.TimestampMs);
        FrameLayout.Seal(frame);
        file.Position = position;
        file.Write(frame);
    }
}
