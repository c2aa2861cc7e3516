using HotPath.Durability;

namespace HotPath.Tests.Durability;

public sealed class PartitionJournalRoundTripTests
{
    private const int EventSize = JournalTestDirectory.EventSize;

    [Fact]
    public void Open_NewDirectory_StartsEmptyAtZero()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();

        Assert.Equal(0, journal.StartOffset);
        Assert.Equal(0, journal.EndOffset);
        Assert.Equal(0, journal.FlushedEnd);
        Assert.Equal(1, journal.SegmentCount);
        Assert.False(journal.Recovery.Truncated);
        Assert.Equal("recovered 1 segment, offsets [0, 0); the tail was whole", journal.Recovery.ToString());
        Assert.True(File.Exists(dir.SegmentPath(0)));
    }

    [Fact]
    public void AppendFlushRead_BatchesGapsAndRolls_ReturnsOneBatchPerRun()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 1024);
        var expected = new List<byte[]?>();
        var batches = new List<(long First, int Count, bool Gap)>();
        long offset = 0;
        for (int i = 0; i < 60; i++)
        {
            if (i % 7 == 3)
            {
                journal.AppendGap(offset, 5, 1000 + i);
                batches.Add((offset, 5, true));
                expected.AddRange(Enumerable.Repeat<byte[]?>(null, 5));
                offset += 5;
                continue;
            }

            int count = 1 + (i % 9);
            byte[] events = JournalTestDirectory.Events(offset, count);
            journal.AppendEvents(offset, events, 1000 + i);
            batches.Add((offset, count, false));
            for (int e = 0; e < count; e++)
            {
                expected.Add(events.AsSpan(e * EventSize, EventSize).ToArray());
            }

            offset += count;
            if (i % 5 == 0)
            {
                journal.Flush();
            }
        }

        Assert.Equal(offset, journal.EndOffset);
        journal.Flush();
        Assert.Equal(offset, journal.FlushedEnd);
        Assert.True(journal.SegmentCount > 3, $"segments={journal.SegmentCount}");

        (List<byte[]?> entries, List<JournalRun> runs) = JournalTestDirectory.ReadAll(journal, bufferEvents: 64);
        Assert.Equal(expected.Count, entries.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], entries[i]);
        }

        Assert.Equal(batches.Select(b => new JournalRun(b.First, b.Count, b.Gap)), runs);
    }

    [Fact]
    public void Read_SmallDestinationAndOffsetInsideBatch_CopiesWholeEventsOfThatBatchOnly()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 10), 1);
        journal.AppendGap(10, 4, 2);
        journal.AppendEvents(14, JournalTestDirectory.Events(14, 3), 3);
        journal.Flush();

        byte[] buffer = new byte[(3 * EventSize) + 5];
        Assert.Equal(new JournalRun(2, 3, false), journal.Read(2, buffer));
        Assert.Equal(JournalTestDirectory.Events(2, 3), buffer[..(3 * EventSize)]);
        Assert.Equal(new JournalRun(8, 2, false), journal.Read(8, buffer));
        Assert.Equal(new JournalRun(11, 3, true), journal.Read(11, buffer));
        Assert.Equal(new JournalRun(14, 3, false), journal.Read(14, buffer));
    }

    [Fact]
    public void Dispose_ThenOpen_KeepsOffsetsAndData()
    {
        using var dir = new JournalTestDirectory();
        long start;
        long end;
        List<byte[]?> before;
        using (PartitionJournal journal = dir.Open(segmentBytes: 1024))
        {
            long offset = 0;
            for (int i = 0; i < 40; i++)
            {
                journal.AppendEvents(offset, JournalTestDirectory.Events(offset, 8), i);
                offset += 8;
                journal.AppendGap(offset, 2, i);
                offset += 2;
            }

            journal.Flush();
            (before, _) = JournalTestDirectory.ReadAll(journal);
            Assert.True(journal.ApplyRetention(keepFrom: 100, maxBytes: 0, maxAge: null) > 0);
            (start, end) = (journal.StartOffset, journal.EndOffset);
        }

        using PartitionJournal reopened = dir.Open(segmentBytes: 1024);
        Assert.Equal(start, reopened.StartOffset);
        Assert.Equal(end, reopened.EndOffset);
        Assert.Equal(end, reopened.FlushedEnd);
        Assert.Equal(end, reopened.SyncedEnd);
        Assert.False(reopened.Recovery.Truncated);
        Assert.Equal(0, reopened.Recovery.IndexesRebuilt);
        (List<byte[]?> after, _) = JournalTestDirectory.ReadAll(reopened);
        Assert.Equal(before.Skip((int)start), after);

        reopened.AppendEvents(end, JournalTestDirectory.Events(end, 1), 0);
        reopened.Flush();
        Assert.Equal(end + 1, reopened.FlushedEnd);
    }

    [Fact]
    public void AppendEvents_BatchLargerThanSegment_GoesAloneIntoItsOwnSegment()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open(segmentBytes: 4096);
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 2), 0);
        journal.AppendEvents(2, JournalTestDirectory.Events(2, 1000), 0);
        journal.AppendEvents(1002, JournalTestDirectory.Events(1002, 1), 0);
        journal.Flush();

        Assert.Equal(3, journal.SegmentCount);
        byte[] buffer = new byte[2000 * EventSize];
        Assert.Equal(new JournalRun(2, 1000, false), journal.Read(2, buffer));
        Assert.Equal(JournalTestDirectory.Events(2, 1000), buffer[..(1000 * EventSize)]);
        Assert.Equal(new JournalRun(1002, 1, false), journal.Read(1002, buffer));
    }

    [Fact]
    public void Sync_AfterAppends_MovesSyncedEndAndCheckpoint()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = dir.Open();
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 4), 0);
        Assert.Equal(4, journal.EndOffset);
        Assert.Equal(0, journal.FlushedEnd);
        Assert.Equal(0, journal.SyncedEnd);

        journal.Sync();

        Assert.Equal(4, journal.FlushedEnd);
        Assert.Equal(4, journal.SyncedEnd);
        Assert.Equal(new JournalCheckpoint(0, 64 + 8 + 24 + (4 * EventSize), 4), journal.Checkpoint);
    }

    [Fact]
    public void Sync_WithinTheCheckpointInterval_MovesSyncedEndButNotTheCheckpoint()
    {
        using var dir = new JournalTestDirectory();
        using PartitionJournal journal = PartitionJournal.Open(
            dir.Partition, EventSize, new JournalSettings(1 << 20) { CheckpointInterval = TimeSpan.FromHours(1) });
        JournalCheckpoint opened = journal.Checkpoint;
        journal.AppendEvents(0, JournalTestDirectory.Events(0, 4), 0);

        journal.Sync();

        Assert.Equal(4, journal.SyncedEnd);
        Assert.Equal(opened, journal.Checkpoint);
    }
}
