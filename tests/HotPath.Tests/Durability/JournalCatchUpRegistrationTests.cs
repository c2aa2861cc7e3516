using System.Runtime.InteropServices;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Workers;

namespace HotPath.Tests.Durability;

/// <summary>
/// Lossless readers that register below the ring of a durable partition read the journal up to a ring bound, then the
/// ring: the bound must hold against every writer, also one whose gating cache predates a reader that is still reading
/// the journal (whose sequence lies far below the ring it will need).
/// </summary>
public sealed class JournalCatchUpRegistrationTests
{
    public static TheoryData<PublishMode> Modes() => new() { PublishMode.SingleWriter, PublishMode.MultiWriter };

    [Theory]
    [MemberData(nameof(Modes))]
    public void SecondReaderAtTheJournalStart_WhileTheFirstStillReadsTheJournal_ReadsEveryOffsetWithItsValue(PublishMode mode)
    {
        using var directory = new JournalTestDirectory();
        int eventSize = Marshal.SizeOf<TestEvent>();
        using PartitionJournal journal = PartitionJournal.Open(directory.Partition, eventSize, new JournalSettings(4096));
        TestEvent[] before = [new(1000), new(1001), new(1002)];
        journal.AppendEvents(0, MemoryMarshal.AsBytes(before.AsSpan()), 0);
        journal.Flush();
        var partition = new Partition<TestEvent>("catch-up", 0, capacity: 2, mode, WaitStrategy.Yielding, new JournalProgress(journal, "catch-up", 0));
        var journaller = new ReadCursor<TestEvent>(partition, OffsetReset.Latest, partition.EndOffset);

        // Offsets 3 and 4 published and journaled; then 5, whose claim refreshes the writer's gating cache from the
        // journaller alone (at 5): the writer may go up to offset 6 without looking at the gating sequences again.
        Assert.Equal(3, partition.Publish(new TestEvent(1003)));
        Assert.Equal(4, partition.Publish(new TestEvent(1004)));
        Journal(journaller, journal);
        Assert.Equal(5, journaller.Position);
        Assert.Equal(5, partition.Publish(new TestEvent(1005)));

        // The first reader registers at the journal's start: it reads 0 to 4 from the journal, its sequence at 0 meanwhile.
        var first = new ReadCursor<TestEvent>(partition, OffsetReset.Earliest, offset: null);
        // The second, too: its ring bound must not trust the first reader's sequence (0) to hold the writer, whose
        // cache (5) came from before the first reader registered.
        var second = new ReadCursor<TestEvent>(partition, OffsetReset.Earliest, offset: null);
        Assert.True(partition.TryPublish(new TestEvent(1006), out long sixth), "the writer's cache lets it claim offset 6 without waiting");
        Assert.Equal(6, sixth);

        foreach (ReadCursor<TestEvent> reader in new[] { second, first })
        {
            Assert.Equal(Enumerable.Range(0, 7).Select(o => ((long)o, 1000L + o)), ReadTo(reader, 7));
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void SeekBackToTheJournalStart_WithAWriterCacheFromBeforeTheSeek_ReadsEveryOffsetWithItsValue(PublishMode mode)
    {
        using var directory = new JournalTestDirectory();
        using PartitionJournal journal = PartitionJournal.Open(directory.Partition, Marshal.SizeOf<TestEvent>(), new JournalSettings(4096));
        var partition = new Partition<TestEvent>("seek", 0, capacity: 2, mode, WaitStrategy.Yielding, new JournalProgress(journal, "seek", 0));
        var journaller = new ReadCursor<TestEvent>(partition, OffsetReset.Latest, partition.EndOffset);
        var reader = new ReadCursor<TestEvent>(partition, OffsetReset.Latest, partition.EndOffset);
        var handler = new CollectingHandler();
        for (int o = 0; o < 4; o++)
        {
            Assert.Equal(o, partition.Publish(new TestEvent(1000 + o)));
            Journal(journaller, journal);
            Assert.Equal(1, reader.Dispatch(ref handler, 1));
            Assert.True(reader.TryCommitPosition());
        }

        // Offset 4's claim refreshes the writer's cache from the journaller and the reader, both at 4: offset 5 needs no
        // refresh. The reader seeks back to the journal's start: its sequence drops to 0, and its ring bound must keep
        // counting what it held (4), which that cache came from.
        Assert.Equal(4, partition.Publish(new TestEvent(1004)));
        reader.Seek(0);
        Assert.True(partition.TryPublish(new TestEvent(1005), out long fifth), "the writer's cache lets it claim offset 5 without waiting");
        Assert.Equal(5, fifth);
        Journal(journaller, journal);

        Assert.Equal(Enumerable.Range(0, 6).Select(o => ((long)o, 1000L + o)), ReadTo(reader, 6));
    }

    /// <summary>Dispatches and commits (2 events at a time, at most 100 rounds) until <paramref name="end"/>; returns each offset with its value.</summary>
    private static List<(long Offset, long Value)> ReadTo(ReadCursor<TestEvent> reader, long end)
    {
        var handler = new CollectingHandler();
        for (int round = 0; round < 100 && reader.Position < end; round++)
        {
            if (reader.Dispatch(ref handler, 2) != 0)
            {
                Assert.True(reader.TryCommitPosition());
            }
        }

        return [.. handler.Seen.Select(s => (s.Offset, s.Event.Value))];
    }

    private static void Journal(ReadCursor<TestEvent> journaller, PartitionJournal journal)
    {
        var appender = new JournalAppender<TestEvent>(journal, 0);
        Assert.NotEqual(0, journaller.DispatchBatch(ref appender, 16));
        JournalAppender<TestEvent>.AppendGapTo(journal, journaller.Position, 0);
        journal.Flush();
        Assert.True(journaller.TryCommitPosition());
    }
}
