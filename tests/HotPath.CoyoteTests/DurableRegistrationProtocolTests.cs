using System.Runtime.InteropServices;
using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// The protocol by which a lossless reader registers below the ring of a durable partition (<c>AddGatingSequence</c> with
/// its <c>ringFrom</c>, and the cursor's journal catch-up up to it) while a writer publishes and the journaller appends,
/// flushes, commits and acknowledges: the pieces of a durable topic built directly (a partition over a real journal in a
/// temporary directory, the journaller's round of <c>TopicJournaller.JournalRound</c> on its own thread), so that every
/// thread is one Coyote controls.
/// </summary>
/// <remarks>
/// <para>Written for this protocol, it failed on the code of that time within 14 to 105 schedules per case (seed
/// 2782273839): a second late reader, registering while the first sat below the writer's last lap, was given a
/// <c>ringFrom</c> at the first reader's sequence and read ring slots the writer had reused (offset 0 handed out with
/// offset 2's value; in multi-writer mode it waited forever on a slot of a later lap: the step bound). Two causes, both
/// fixed in <c>Partition</c>: the writer's gating refresh could read the gating array before a registration published
/// the new one and the sequences after the registration read them (its minimum then passed the new reader's start);
/// and <c>ringFrom</c> was the lowest sequence of the others, which a reader catching up from the journal holds below
/// slots already reused. Without the refresh's re-check it still fails in three of the four cases (66 to 124
/// schedules), and with the lowest sequence alone as the bound (no reach - capacity term, see <c>RingBoundLocked</c>) in multi-writer mode (26 schedules).</para>
/// <para>Mutants of <c>AddGatingSequence</c> it kills (each tried by hand): <c>ringFrom</c> from <c>RetainedStartLocked</c>
/// (the journal's start; 1 to 14 schedules) or computed after registering the new sequence (its own start; 7 to 15
/// schedules): the late reader then reads reused or never-written slots instead of the journal.</para>
/// </remarks>
public sealed class DurableRegistrationProtocolTests(ITestOutputHelper output)
{
    private const int Published = 4;

    /// <summary>
    /// Two late readers register at the journal's start (Earliest) while the writer publishes <see cref="Published"/>
    /// events into a 2-slot ring and the journaller journals them; with <paramref name="journaled"/> events already in the
    /// journal when the partition opens (the ring starts after them, as after a restart). Each reader gets every offset
    /// from 0 exactly once, in order, intact, with the value the writer gave it.
    /// </summary>
    [Theory]
    [InlineData(PublishMode.SingleWriter, 0)]
    [InlineData(PublishMode.SingleWriter, 3)]
    [InlineData(PublishMode.MultiWriter, 0)]
    [InlineData(PublishMode.MultiWriter, 3)]
    public void LateReadersRegisterAtTheJournalStart_WhileWriterAndJournallerRun_EachGetsEveryOffsetOnceWithItsValue(PublishMode mode, int journaled)
    {
        CoyoteHarness.Run(() =>
        {
            string directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hotpath-coyote-" + Guid.NewGuid().ToString("N"))).FullName;
            PartitionJournal journal = PartitionJournal.Open(directory, Marshal.SizeOf<Stamped>(), new JournalSettings(4096));
            try
            {
                Run(mode, journaled, journal);
            }
            finally
            {
                journal.Dispose();
                Directory.Delete(directory, recursive: true);
            }
        }, iterations: 200, output, maxSteps: 5_000, variant: $"{mode}.{journaled}");
    }

    private static void Run(PublishMode mode, int journaled, PartitionJournal journal)
    {
        if (journaled != 0)
        {
            Stamped[] before = [.. Enumerable.Range(0, journaled).Select(o => Value(o))];
            journal.AppendEvents(0, MemoryMarshal.AsBytes(before.AsSpan()), 0);
            journal.Flush();
        }

        var progress = new JournalProgress(journal, "coyote", 0);
        var partition = new Partition<Stamped>("coyote", 0, capacity: 2, mode, Scenario.QuickBlocking, progress)
        {
            WriterParkBackstopMilliseconds = Timeout.Infinite,
        };
        long end = journaled + Published;
        // The journaller registers before anyone publishes, at the journal's end (as TopicJournaller does).
        var journaller = new ReadCursor<Stamped>(partition, OffsetReset.Latest, partition.EndOffset);

        Thread writer = Scenario.Start(() =>
        {
            for (int i = 0; i < Published; i++)
            {
                using EventClaim<Stamped> claim = partition.Claim();
                claim.Event = Value(claim.Offset);
                claim.Publish();
            }
        });
        Thread journalling = Scenario.Start(() =>
        {
            while (journaller.Position < end)
            {
                var appender = new JournalAppender<Stamped>(journal, 0);
                if (journaller.DispatchBatch(ref appender, 2) == 0)
                {
                    Thread.Yield();
                    continue;
                }

                JournalAppender<Stamped>.AppendGapTo(journal, journaller.Position, 0);
                journal.Flush();
                Assert.True(journaller.TryCommitPosition(), "the journaller's cursor is never fenced");
                partition.Acknowledge(journal.FlushedEnd);
            }
        });

        List<(long Offset, Stamped Event)> first = [];
        Thread firstReader = Scenario.Start(() => first = ReadFromJournalStart(partition, end));
        List<(long Offset, Stamped Event)> second = ReadFromJournalStart(partition, end);
        firstReader.Join();
        writer.Join();
        journalling.Join();

        foreach (List<(long Offset, Stamped Event)> seen in new[] { first, second })
        {
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(Enumerable.Range(0, (int)end).Select(o => (long)o), seen.Select(s => s.Offset));
            Assert.All(seen, s => Assert.True(s.Event.Value == Value(s.Offset).Value, $"offset {s.Offset} was handed out with value {s.Event.Value}"));
        }

        Assert.Equal(end, progress.Acknowledged);
    }

    /// <summary>A lossless reader registered at the journal's start reads and commits until <paramref name="end"/>.</summary>
    private static List<(long Offset, Stamped Event)> ReadFromJournalStart(Partition<Stamped> partition, long end)
    {
        var cursor = new ReadCursor<Stamped>(partition, OffsetReset.Earliest, offset: null);
        Assert.Equal(0, cursor.Position);
        var seen = new List<(long Offset, Stamped Event)>();
        var recorder = new Recorder(seen);
        while (cursor.Position < end)
        {
            if (cursor.Dispatch(ref recorder, 2) == 0)
            {
                Thread.Yield();
                continue;
            }

            Assert.True(cursor.TryCommitPosition(), "an unfenced cursor's commit is refused");
        }

        cursor.Close();
        return seen;
    }

    /// <summary>The event the writer (or the journal, before the partition opened) gives <paramref name="offset"/>.</summary>
    private static Stamped Value(long offset) => new() { Value = 1000 + offset, Check = ~(1000 + offset) };
}
