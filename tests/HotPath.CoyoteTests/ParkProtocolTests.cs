using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// Park/unpark wake-ups with the blocking wait strategy. Under Coyote a <c>Monitor.Wait</c> with a time-out waits
/// without one, so the parkers' backstop time-outs never rescue a thread: a lost wake-up leaves every thread blocked
/// and Coyote reports the deadlock (or, when another thread keeps spinning, the scheduling-step bound is hit and
/// reported), instead of the test hanging or passing by the backstop.
/// </summary>
public sealed class ParkProtocolTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PublishMode.SingleWriter, 1)]
    [InlineData(PublishMode.MultiWriter, 2)]
    public void ReaderParksWhilePublishersPublish_NoLostWakeUp(PublishMode mode, int writers)
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 4, mode);
            Partition<Stamped> partition = topic[0];
            var cursor = new ReadCursor<Stamped>(partition, OffsetReset.Earliest, offset: null);
            var parker = new Parker();
            partition.AddReaderParker(parker);
            const int PerWriter = 2;
            int total = PerWriter * writers;

            var threads = new List<Thread>();
            for (int w = 0; w < writers; w++)
            {
                int first = 100 * w;
                threads.Add(Scenario.Start(() =>
                {
                    for (int i = 0; i < PerWriter; i++)
                    {
                        Scenario.Publish(partition, first + i);
                    }
                }));
            }

            // The reader side of a group member's idle loop (MemberWorker.ParkOnPartitions): announce, raise the wake
            // flag, re-check, park.
            List<(long Offset, Stamped Event)> seen = Scenario.ReadParking(cursor, partition, parker, total);

            threads.ForEach(t => t.Join());
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(total, seen.Count);
        }, iterations: 400, output, variant: $"{mode}x{writers}");
    }

    [Fact]
    public void WriterParksOnFullRing_ReaderCommits_NoLostWakeUp()
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 2, PublishMode.SingleWriter);
            Partition<Stamped> partition = topic[0];
            using PartitionReader<Stamped> reader = topic.CreateReader(0);
            const int Events = 5;

            // The writer fills the ring, then spins, yields and parks (ParkWriter) until the reader's commit wakes it.
            Thread writer = Scenario.Start(() =>
            {
                for (int i = 0; i < Events; i++)
                {
                    Scenario.Publish(partition, i);
                }
            });

            List<(long Offset, Stamped Event)> seen = Scenario.ReadUntil(reader, Events);
            writer.Join();
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(Events, seen.Count);
        }, iterations: 500, output);
    }

    [Fact]
    public void WriterParksOnFullRing_TopicDisposed_WriterIsReleased()
    {
        CoyoteHarness.Run(() =>
        {
            var topic = Scenario.Topic(capacity: 2, PublishMode.MultiWriter, WaitStrategy.CreateBlocking(0, 0));
            Partition<Stamped> partition = topic[0];
            using PartitionReader<Stamped> reader = topic.CreateReader(0);
            Exception? thrown = null;

            Thread writer = Scenario.Start(() =>
            {
                try
                {
                    for (int i = 0; i < 3; i++)
                    {
                        Scenario.Publish(partition, i);
                    }
                }
                catch (ObjectDisposedException ex)
                {
                    thrown = ex;
                }
            });

            topic.Dispose();
            writer.Join();
            Assert.True(thrown is not null || partition.EndOffset == 3, "the writer either finished or was released by Dispose");
        }, iterations: 200, output);
    }
}
