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
            var seen = new List<(long Offset, long Value)>();
            var handler = new CollectingHandler();
            for (int round = 0; round < 100 && reader.Position < 7; round++)
            {
                if (reader.Dispatch(ref handler, 2) != 0)
                {
                    Assert.True(reader.TryCommitPosition());
                }
            }

            Assert.Equal(
                Enumerable.Range(0, 7).Select(o => ((long)o, 1000L + o)),
                handler.Seen.Select(s => (s.Offset, s.Event.Value)));
        }
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
