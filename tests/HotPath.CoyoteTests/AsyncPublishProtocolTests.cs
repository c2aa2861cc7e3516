using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Topics;
using HotPath.Workers;
using Xunit.Abstractions;

namespace HotPath.CoyoteTests;

/// <summary>
/// The async writers' wake-up (<see cref="Partition{T}.PublishAsync"/>): an async writer on a full ring registers a waiter,
/// raises the readers' wake flag, runs the process-wide barrier and re-checks; a reader that commits reads the flag with
/// no fence and, when raised, releases the waiters. An async waiter has no backstop at all, so a lost wake-up leaves the
/// writer's task pending forever while the reader waits for its event: Coyote reports the step bound (or a deadlock).
/// Both wait strategies that never park are covered too: async writers must be woken whatever the topic's strategy.
/// </summary>
public sealed class AsyncPublishProtocolTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PublishMode.SingleWriter, "blocking")]
    [InlineData(PublishMode.MultiWriter, "blocking")]
    [InlineData(PublishMode.MultiWriter, "yielding")]
    public void AsyncWriterWaitsOnFullRing_ReaderCommits_NoLostWakeUp(PublishMode mode, string wait)
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 2, mode, wait == "yielding" ? WaitStrategy.Yielding : null);
            Partition<Stamped> partition = topic[0];
            using PartitionReader<Stamped> reader = topic.CreateReader(0);
            const int Events = 5;

            // Fills the 2-slot ring, then awaits room for each further event: every commit may be the one that frees it.
            Task writer = Task.Run(async () =>
            {
                for (long i = 0; i < Events; i++)
                {
                    long offset = await partition.PublishAsync(new Stamped { Value = i, Check = ~i });
                    Assert.Equal(i, offset);
                }
            });

            List<(long Offset, Stamped Event)> seen = Scenario.ReadUntil(reader, Events);
            writer.Wait();
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal(Events, seen.Count);
        }, iterations: 400, output, variant: $"{mode}.{wait}");
    }

    [Theory]
    [InlineData(PublishMode.SingleWriter)]
    [InlineData(PublishMode.MultiWriter)]
    public void AsyncWriterWaitsOnFullRing_CancellationRacesTheReadersCommit_PublishedOnceOrNothingClaimed(PublishMode mode)
    {
        CoyoteHarness.Run(() =>
        {
            using Topic<Stamped> topic = Scenario.Topic(capacity: 2, mode);
            Partition<Stamped> partition = topic[0];
            using PartitionReader<Stamped> reader = topic.CreateReader(0);
            Scenario.Publish(partition, 0);
            Scenario.Publish(partition, 1);
            using var cancellation = new CancellationTokenSource();
            long published = -1;
            bool cancelled = false;

            Task writer = Task.Run(async () =>
            {
                try
                {
                    published = await partition.PublishAsync(new Stamped { Value = 2, Check = ~2L }, cancellation.Token);
                }
                catch (OperationCanceledException error)
                {
                    Assert.Equal(cancellation.Token, error.CancellationToken);
                    cancelled = true;
                }
            });

            Thread canceller = Scenario.Start(cancellation.Cancel);
            List<(long Offset, Stamped Event)> seen = Scenario.ReadUntil(reader, 2);
            canceller.Join();
            writer.Wait();

            // Exactly one outcome: the event published at offset 2, or nothing published and no slot claimed (the next
            // publish takes offset 2 and the reader gets it intact, no gap).
            Assert.True(cancelled != (published >= 0), $"cancelled={cancelled}, published={published}");
            if (cancelled)
            {
                Assert.Equal(2, partition.EndOffset);
                Assert.Equal(2, Scenario.Publish(partition, 2));
            }
            else
            {
                Assert.Equal(2, published);
            }

            seen.AddRange(Scenario.ReadUntil(reader, 3));
            Scenario.AssertIntactAndOrdered(seen);
            Assert.Equal([0L, 1L, 2L], seen.Select(s => s.Event.Value));
            Assert.Equal(3, partition.EndOffset);
        }, iterations: 300, output, variant: mode.ToString());
    }
}
