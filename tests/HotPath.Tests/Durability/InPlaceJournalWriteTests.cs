using HotPath.Consumers;
using HotPath.Durability;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;

namespace HotPath.Tests.Durability;

/// <summary>
/// Where the journal gathers writes (Linux), a durable partition's ring is pinned and the journaller writes each batch's
/// events from their slots instead of copying them (<see cref="InPlaceEvents"/>, <see cref="JournalStaging.StageInPlace"/>):
/// every event byte goes that way, and what a reopened topic reads back is every event with its value, in both publish
/// modes and across segment rolls, the slots having been reused many times over meanwhile. Elsewhere the events are copied
/// (nothing in place) and the same round trip holds.
/// </summary>
public sealed class InPlaceJournalWriteTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void DurableTopic_EventsJournaledFromTheirSlots_ReopenedTopicReadsEveryEventBack(PublishMode mode)
    {
        const int Events = 100_000;
        using (Topic<TestEvent> topic = Open(mode))
        {
            Assert.Equal(JournalStaging.GathersWrites, topic[0].PinnedSlotsAddress != 0);
            long last = -1;
            for (int i = 0; i < Events; i++)
            {
                last = topic[0].Publish(new TestEvent(i, i % 7));
            }

            Assert.True(topic[0].WaitAcknowledged(last, Timeout), $"offset {last} was not acknowledged");
            long inPlace = topic[0].Journal!.Journal.InPlaceBytesForTest;
            Assert.Equal(JournalStaging.GathersWrites ? Events * (long)System.Runtime.CompilerServices.Unsafe.SizeOf<TestEvent>() : 0, inPlace);
        }

        using Topic<TestEvent> reopened = Open(mode);
        AssertReadsBack(reopened, Events);
    }

    /// <summary>
    /// A ring of 16K slots of 16 bytes holds four 64 KiB chunks, so a journaller that is behind writes whole chunks only
    /// and carries the tail of its last batch, staged in place, into its next round while the writer (batches of 256)
    /// keeps reusing slots: the journaller's sequence must hold those slots until the tail is written. Committing the
    /// dispatched position instead fails the reopen with a checksum mismatch (tried by hand, both modes).
    /// </summary>
    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void ChunkFlushesCarryInPlaceTailsAcrossRounds_ReopenedTopicReadsEveryEventBack(PublishMode mode)
    {
        const int Events = 256 * 7_812;
        using (Topic<TestEvent> topic = Open(mode, capacity: 16384, segmentBytes: 4 << 20))
        {
            long last = -1;
            var batch = new TestEvent[256];
            for (int i = 0; i < Events; i += batch.Length)
            {
                for (int k = 0; k < batch.Length; k++)
                {
                    batch[k] = new TestEvent(i + k, (i + k) % 7);
                }

                last = topic[0].PublishBatch(batch) + batch.Length - 1;
            }

            Assert.True(topic[0].WaitAcknowledged(last, TimeSpan.FromSeconds(60)), $"offset {last} was not acknowledged");
        }

        using Topic<TestEvent> reopened = Open(mode, capacity: 16384, segmentBytes: 4 << 20);
        AssertReadsBack(reopened, Events);
    }

    /// <summary>The reopened topic ends at <paramref name="events"/> and a reader from its start gets each event with its values.</summary>
    private static void AssertReadsBack(Topic<TestEvent> reopened, int events)
    {
        Assert.Equal(events, reopened[0].EndOffset);
        using PartitionReader<TestEvent> reader = reopened.CreateReader(0, OffsetReset.Earliest);
        var check = new ValueCheck();
        while (reader.Position < events)
        {
            Assert.True(reader.Poll(ref check, maxEvents: 4096) > 0 || reader.Position == events, $"no events at {reader.Position}");
        }

        Assert.True(check.Error is null, check.Error);
        Assert.Equal(events, check.Count);
    }

    private Topic<TestEvent> Open(PublishMode mode, int capacity = 256, long segmentBytes = 256 * 1024) => new(new TopicOptions
    {
        Name = "in-place",
        Capacity = capacity,
        PublishMode = mode,
        Durability = new DurabilityOptions { Directory = _directory.Path, SegmentBytes = segmentBytes },
    });

    private struct ValueCheck : IEventHandler<TestEvent>
    {
        public long Count { get; private set; }

        public string? Error { get; private set; }

        public void OnEvent(ref readonly TestEvent @event, int partition, long offset, bool endOfBatch)
        {
            if (@event.Value != offset || @event.Writer != (int)(offset % 7))
            {
                Error ??= $"offset {offset} holds ({@event.Value}, {@event.Writer})";
            }

            Count++;
        }
    }
}
