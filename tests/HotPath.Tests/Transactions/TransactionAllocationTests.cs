using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using HotPath.Workers;

namespace HotPath.Tests.Transactions;

/// <summary>
/// 0 B per event and per transaction: after a warm-up, transactions of 256 events (per-event publishes, batches, claims)
/// and 1-event transactions allocate nothing on the publishing thread, nor on a read-committed reader that steps over
/// aborted ones.
/// </summary>
public class TransactionAllocationTests
{
    private const int Transactions = 2_000;
    private const int EventsPerTransaction = 256;

    [Theory]
    [InlineData(PublishMode.SingleWriter, "publish")]
    [InlineData(PublishMode.MultiWriter, "publish")]
    [InlineData(PublishMode.SingleWriter, "batch")]
    [InlineData(PublishMode.MultiWriter, "claim")]
    [InlineData(PublishMode.SingleWriter, "one-event")]
    public void Transactions_AfterWarmUp_AllocateNothingOnThePublisherOrTheReadCommittedReader(PublishMode mode, string style)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions
        {
            Name = "alloc-txn",
            Capacity = 1024,
            PublishMode = mode,
            WaitStrategy = WaitStrategy.Yielding,
        });
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("alloc");
        using var reader = topic.CreateReader(0);
        int perTransaction = style == "one-event" ? 1 : EventsPerTransaction;
        long expected = 0;
        var buffer = new TestEvent[EventsPerTransaction];
        long readerAllocated = -1;
        long readerSum = 0;
        long total = 2L * Transactions * perTransaction;
        long committedEvents = 0;

        void Run(int transactions, ref long sum)
        {
            for (int t = 0; t < transactions; t++)
            {
                publisher.Begin();
                for (int i = 0; i < perTransaction; i++)
                {
                    switch (style)
                    {
                        case "batch":
                            buffer.AsSpan().Fill(new TestEvent(1));
                            publisher.PublishBatch(topic, 0, buffer);
                            i = perTransaction;
                            break;
                        case "claim":
                            using (TransactionalClaim<TestEvent> claim = publisher.Claim(topic, 0))
                            {
                                claim.Event = new TestEvent(1);
                                claim.Publish();
                            }

                            break;
                        default:
                            publisher.PublishTo(topic, 0, new TestEvent(1));
                            break;
                    }
                }

                // Every fourth transaction aborts: the reader steps over it.
                if (t % 4 == 3)
                {
                    publisher.Abort();
                }
                else
                {
                    publisher.Commit();
                    sum += perTransaction;
                }
            }
        }

        var drain = new Thread(() =>
        {
            var handler = new SumHandler();
            int idle = 0;
            long before = -1;
            while (reader.Position < total)
            {
                // Measured over the second half: the first half warms the reader's paths up, as the first Run does the
                // publisher's.
                if (before < 0 && reader.Position >= total / 2)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                }

                if (reader.Poll(ref handler, maxEvents: 512) == 0)
                {
                    WaitStrategy.Yielding.Idle(ref idle);
                }
                else
                {
                    idle = 0;
                }
            }

            readerAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
            readerSum = handler.Sum;
        });
        drain.Start();

        Run(Transactions, ref expected);
        long publisherBefore = GC.GetAllocatedBytesForCurrentThread();
        Run(Transactions, ref expected);
        long publisherAllocated = GC.GetAllocatedBytesForCurrentThread() - publisherBefore;
        committedEvents = expected;

        Assert.True(drain.Join(TimeSpan.FromSeconds(60)), "the reader drained every transaction");
        Assert.True(publisherAllocated == 0, $"the publisher allocated {publisherAllocated} B");
        Assert.True(readerAllocated == 0, $"the reader allocated {readerAllocated} B");
        Assert.Equal(committedEvents, readerSum);
        Assert.Equal(total - committedEvents, reader.Aborted);
    }

    /// <summary>
    /// Consecutive publishes extend one recorded range: a transaction far longer than the warm-up's, published event by
    /// event, still allocates nothing (one range per event would grow the ranges' array).
    /// </summary>
    [Theory]
    [InlineData(PublishMode.MultiWriter)]
    [InlineData(PublishMode.SingleWriter)]
    public void Transaction_ManyConsecutivePublishesAfterAShortWarmUp_AllocatesNothing(PublishMode mode)
    {
        using var topic = new Topic<TestEvent>(new TopicOptions { Name = "alloc-range", Capacity = 1024, PublishMode = mode });
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("range");
        for (int t = 0; t < 3; t++)
        {
            publisher.Begin();
            publisher.PublishTo(topic, 0, new TestEvent(t));
            publisher.PublishTo(topic, 0, new TestEvent(t));
            publisher.Commit();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        publisher.Begin();
        for (int i = 0; i < 200; i++)
        {
            publisher.PublishTo(topic, 0, new TestEvent(i));
        }

        publisher.Commit();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated == 0, $"the transaction allocated {allocated} B");
        Assert.Equal(206, topic[0].LastStableOffset);
    }
}
