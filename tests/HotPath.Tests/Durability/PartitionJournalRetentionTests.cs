using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class PartitionJournalRetentionTests
{
    /// <summary>Ten events a batch: a 1 KiB segment holds five 192-byte frames after its header, 50 offsets.</summary>
    private static void Fill(PartitionJournal journal, int batches, Func<int, long> timestamp)
    {
        for (int i = 0; i < batches; i++)
        {
            long offset = journal.EndOffset;
            journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 10), timestamp(i));
        }

        journal.Flush();
    }

    [Fact]
    public void ApplyRetention_OverMaxBytes_DeletesOldestUntilWithinAndMovesStartOffset()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 1024);
        Fill(journal, 30, _ => 0);
        int segments = journal.SegmentCount;
        long size = journal.SizeBytes;
        Assert.True(segments >= 5, $"segments={segments}");

        int deleted = journal.ApplyRetention(keepFrom: long.MaxValue, maxBytes: size - 1500, maxAge: null);

        Assert.Equal(2, deleted);
        Assert.Equal(segments - 2, journal.SegmentCount);
        Assert.True(journal.SizeBytes <= size - 1500);
        Assert.False(File.Exists(dir.SegmentPath(0)));
        Assert.Equal(journal.StartOffset, JournalTestDirectory.ReadAll(journal).Runs[0].First);
        Assert.True(File.Exists(dir.SegmentPath(journal.StartOffset)));
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.Read(0, new byte[16]));
    }

    [Fact]
    public void ApplyRetention_MaxBytesZero_NeverDeletesTheActiveSegment()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 1024);
        Fill(journal, 30, _ => 0);
        int segments = journal.SegmentCount;

        Assert.Equal(segments - 1, journal.ApplyRetention(long.MaxValue, maxBytes: 0, maxAge: TimeSpan.Zero));

        Assert.Equal(1, journal.SegmentCount);
        Assert.Equal(250, journal.StartOffset);
        Assert.Equal(0, journal.ApplyRetention(long.MaxValue, 0, TimeSpan.Zero));
        Assert.Equal(300, journal.EndOffset);
        Assert.Equal(JournalTestDirectory.Events(journal.StartOffset, 1), ReadOne(journal, journal.StartOffset));
    }

    [Fact]
    public void ApplyRetention_KeepFromInsideSecondSegment_KeepsEverySegmentHoldingOffsetsFromIt()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 1024);
        Fill(journal, 30, _ => 0);
        int segments = journal.SegmentCount;

        // The first segment holds [0, 50); keepFrom 55 allows deleting only it.
        Assert.Equal(1, journal.ApplyRetention(keepFrom: 55, maxBytes: 0, maxAge: null));
        Assert.Equal(50, journal.StartOffset);
        Assert.Equal(segments - 1, journal.SegmentCount);

        // keepFrom at the second segment's end allows it too.
        Assert.Equal(1, journal.ApplyRetention(keepFrom: 100, maxBytes: 0, maxAge: null));
        Assert.Equal(100, journal.StartOffset);
        Assert.Equal(0, journal.ApplyRetention(keepFrom: 100, maxBytes: 0, maxAge: null));
    }

    [Fact]
    public void ApplyRetention_SegmentsOlderThanMaxAge_AreDeletedAndNewerKept()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 1024, time: time);
        Fill(journal, 10, _ => time.NowMs);
        time.Advance(TimeSpan.FromHours(2));
        long secondHalf = journal.EndOffset;
        Fill(journal, 12, _ => time.NowMs);
        int segments = journal.SegmentCount;

        Assert.Equal(0, journal.ApplyRetention(long.MaxValue, maxBytes: null, maxAge: TimeSpan.FromHours(3)));
        time.Advance(TimeSpan.FromMinutes(30));
        int deleted = journal.ApplyRetention(long.MaxValue, maxBytes: null, maxAge: TimeSpan.FromHours(1));

        Assert.True(deleted >= 1);
        Assert.Equal(segments - deleted, journal.SegmentCount);
        Assert.True(journal.StartOffset <= secondHalf, $"start={journal.StartOffset} secondHalf={secondHalf}");
        Assert.Equal(0, journal.ApplyRetention(long.MaxValue, maxBytes: null, maxAge: TimeSpan.FromHours(1)));
    }

    private static byte[] ReadOne(PartitionJournal journal, long offset)
    {
        byte[] buffer = new byte[16];
        journal.Read(offset, buffer);
        return buffer;
    }
}
