using System.Runtime.InteropServices;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// The journal writes a batch's events from the ring's slots (<see cref="InPlaceEvents"/>, Linux), so the writers must
/// not reuse a slot before the journal wrote it: the journaller's round (<c>TopicJournaller.JournalRound</c>, driven by
/// the test) commits its sequence no further than the journal's flushed end. The case makes that end lag: chunks of 32
/// bytes and batches of 3 events of 16 bytes (80-byte frames) make a chunk flush hold back the tail of a batch, whose
/// events stay staged in place, while the writer laps an 8-slot ring. Afterwards every offset in the journal holds the
/// value the writer gave it, under an intact checksum.
/// </summary>
/// <remarks>
/// With the journaller committing its dispatched position instead (the events then counted as written before they are),
/// the case fails after 2 (single-writer) and 7 (multi-writer) schedules: the writer reuses a slot whose bytes were
/// staged but not written, and the journal holds the later event under the earlier one's checksum (a
/// <see cref="JournalCorruptionException"/> at the frame's position).
/// </remarks>
public sealed class InPlaceJournalProtocolTests(ITestOutputHelper output)
{
    private const int Events = 14;

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void ChunkFlushHoldsBackEventsStagedInPlace_WriterLapsTheRing_JournalHoldsEveryValue(PublishMode mode)
    {
        if (!JournalStaging.GathersWrites)
        {
            return;
        }

        CoyoteHarness.Run(() =>
        {
            string root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hotpath-coyote-" + Guid.NewGuid().ToString("N"))).FullName;
            try
            {
                Run(root, mode);
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }, iterations: 300, output, maxSteps: 20_000, variant: mode.ToString());
    }

    private static void Run(string root, PublishMode mode)
    {
        using var topic = new Topic<Stamped>(new TopicOptions
        {
            Name = "in-place",
            Capacity = 8,
            PublishMode = mode,
            WaitStrategy = Scenario.QuickBlocking,
            Durability = new DurabilityOptions
            {
                Directory = root,
                SegmentBytes = DurabilityOptions.MinSegmentBytes,
                MaxBatch = 3,
                JournallerDrivenByTest = true,
                ChunkBytesForTest = 32,
            },
        });
        Partition<Stamped> partition = topic[0];
        partition.WriterParkBackstopMilliseconds = Timeout.Infinite;
        PartitionJournal journal = partition.Journal!.Journal;
        Assert.NotEqual(0, partition.PinnedSlotsAddress);

        Thread writer = Scenario.Start(() =>
        {
            for (int i = 0; i < Events; i++)
            {
                Scenario.Publish(partition, i);
            }
        });

        // The journaller's thread loop, reduced to its rounds: until everything published is in the files.
        while (journal.FlushedEnd < Events)
        {
            if (!topic.Journaller!.RunRoundForTest())
            {
                Thread.Yield();
            }
        }

        writer.Join();
        Assert.True(journal.InPlaceBytesForTest > 0, "no batch was staged in place");
        byte[] buffer = new byte[Marshal.SizeOf<Stamped>()];
        for (long offset = 0; offset < Events; offset++)
        {
            JournalRun run = journal.Read(offset, buffer);
            Assert.True(run.Count == 1 && !run.IsGap, $"offset {offset}: {run}");
            Stamped stored = MemoryMarshal.Read<Stamped>(buffer);
            Assert.True(stored.IsIntact && stored.Value == offset, $"offset {offset} holds {stored} in the journal");
        }
    }
}
