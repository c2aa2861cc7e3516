using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// Systematic tests that confirm defects 1, 2 and 3 of issue 11 in the partition protocol. Each fails on the code
/// before its fix (the failing schedule and its seed are in the failure message) and becomes a plain test with the fix.
/// </summary>
public sealed class PartitionProtocolDefectTests(ITestOutputHelper output)
{
    /// <summary>
    /// Defect 1: with no gating reader, writer A's claim of offset 0 can be lapped by writer B's claims 1..4 (slot 0
    /// again); A's late publish then stamps slot 0 with lap 0 over offset 4's lap 1 and the end offset stops short.
    /// </summary>
    [Fact]
    public void MultiWriterClaims_NoGatingReader_NoClaimIsLappedAndEveryOffsetIsPublished()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            Partition<Stamped> partition = topic[0];

            Thread a = Scenario.Start(() => Scenario.Publish(partition, 100));
            Thread b = Scenario.Start(() => { for (int i = 0; i < 4; i++) { Scenario.Publish(partition, i); } });
            a.Join();
            b.Join();

            long end = partition.EndOffset;
            Assert.True(end == 5, $"5 events were published but the end offset is {end}: a lapped claim's publish stamped its slot with an older lap");
            using PartitionReader<Stamped> reader = topic.CreateReader(0, OffsetReset.Earliest);
            Scenario.AssertIntactAndOrdered(Scenario.ReadUntil(reader, 5));
        }, iterations: 300, output, memoryAccesses: true, strategy: c => c.WithProbabilisticStrategy());
    }

    /// <summary>
    /// Defect 2, lossless reader created after the gaps: with no gating reader an abandon prunes the gap log below its
    /// own offset, so a second abandon forgets the first gap and the late reader is handed <c>default</c> there.
    /// </summary>
    [Fact]
    public void AbandonedClaims_LosslessReaderCreatedAfterTheGaps_SkipsEveryGap()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            Partition<Stamped> partition = topic[0];

            Thread a = Scenario.Start(() => Scenario.Abandon(partition, 1));
            Thread b = Scenario.Start(() => Scenario.Abandon(partition, 2));
            Thread c = Scenario.Start(() => Scenario.Publish(partition, 3));
            a.Join();
            b.Join();
            c.Join();

            using PartitionReader<Stamped> reader = topic.CreateReader(0, OffsetReset.Earliest);
            List<(long Offset, Stamped Event)> seen = Scenario.ReadUntil(reader, 3);
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(3L, Assert.Single(seen).Event.Value);
        }, iterations: 100, output);
    }

    /// <summary>Defect 2, lossy reader: gaps are pruned against gating readers only, which a lossy reader is not.</summary>
    [Fact]
    public void AbandonedClaims_LossyReader_SkipsEveryGap()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.MultiWriter);
            Partition<Stamped> partition = topic[0];
            var cursor = new ReadCursor<Stamped>(partition, OffsetReset.Earliest, offset: null, lossy: true);
            int running = 3;

            void Finish() => Interlocked.Decrement(ref running);
            Thread a = Scenario.Start(() => { Scenario.Abandon(partition, 1); Finish(); });
            Thread b = Scenario.Start(() => { Scenario.Abandon(partition, 2); Finish(); });
            Thread c = Scenario.Start(() => { Scenario.Publish(partition, 3); Finish(); });

            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen);
            while (Volatile.Read(ref running) != 0 || cursor.Position < 3)
            {
                if (cursor.Dispatch(ref recorder, 4) == 0)
                {
                    Thread.Yield();
                }
            }

            a.Join();
            b.Join();
            c.Join();
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(3L, Assert.Single(seen).Event.Value);
        }, iterations: 100, output);
    }

    /// <summary>
    /// Defect 3: abandoning a single-writer claim moves the writer's reach back, so a lossy reader that copied the
    /// slot the abandoned fill had half overwritten (Value=999 over offset 0's Check) validates the copy against the
    /// lowered reach and hands out a torn event.
    /// </summary>
    [Fact]
    public void SingleWriterAbandon_LossyReader_NeverHandsOutTornEvent()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, PublishMode.SingleWriter);
            Partition<Stamped> partition = topic[0];
            var cursor = new ReadCursor<Stamped>(partition, OffsetReset.Earliest, offset: null, lossy: true);
            bool done = false;

            Thread writer = Scenario.Start(() =>
            {
                for (int i = 0; i < 4; i++)
                {
                    Scenario.Publish(partition, i);
                }

                // Offset 4 goes to slot 0: the fill writes Value over offset 0's event and then fails.
                Scenario.Abandon(partition, 999);
                Volatile.Write(ref done, true);
            });

            var seen = new List<(long Offset, Stamped Event)>();
            var recorder = new Recorder(seen);
            while (!Volatile.Read(ref done) || cursor.Position < 4)
            {
                if (cursor.Dispatch(ref recorder, 4) == 0)
                {
                    Thread.Yield();
                }
            }

            writer.Join();
            Scenario.AssertIntactAndOrdered(seen);
            Assert.All(seen, s => Assert.Equal(s.Offset, s.Event.Value));
        }, iterations: 200, output, memoryAccesses: true);
    }
}
