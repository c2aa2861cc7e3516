using System.Collections.Concurrent;
using HotPath.Consumers;
using HotPath.Partitions;
using HotPath.Tests.Support;
using HotPath.Topics;
using HotPath.Transactions;
using static HotPath.Tests.Transactions.TransactionVisibilityTests;

namespace HotPath.Tests.Transactions;

/// <summary>
/// The offsets a transaction carries (<see cref="TransactionalPublisher.SendOffsets{T}"/>, Kafka's
/// <c>SendOffsetsToTransaction</c>): each partition's latest offset sent wins, any number of partitions commit together,
/// and an offset equal to the committed one is accepted.
/// </summary>
public class TransactionOffsetsTests
{
    private const int Partitions = 6;

    [Fact]
    public void SendOffsets_ManyPartitionsInAnyOrderAndResent_CommitsEachPartitionsLastOffsetWithTheOutput()
    {
        using Topic<TestEvent> input = CreateTopic(partitions: Partitions);
        using Topic<TestEvent> output = CreateTopic(PublishMode.SingleWriter);
        using var coordinator = new TransactionCoordinator();
        using TransactionalPublisher publisher = coordinator.CreatePublisher("offsets");
        using var group = new ConsumerGroup<TestEvent>(input, new ConsumerGroupOptions { GroupId = "g", CommitMode = CommitMode.Manual });
        // Partition p holds p + 2 events; everything is published before the member joins.
        int total = 0;
        for (int p = 0; p < Partitions; p++)
        {
            for (int i = 0; i < p + 2; i++, total++)
            {
                input[p].Publish(new TestEvent(total));
            }
        }

        var errors = new ConcurrentQueue<Exception>();
        int handled = 0;
        group.Join(new ActionHandler((e, partition, offset, _) =>
        {
            if (++handled < total)
            {
                return;
            }

            try
            {
                // The last event: one transaction carries the output and every partition's offset.
                publisher.Begin();
                publisher.PublishTo(output, 0, new TestEvent(e.Value));
                publisher.SendOffsets(group, "txn", 3, 0);                   // equal to the committed offset: accepted
                publisher.SendOffsets(group, "txn", 0, 2);
                for (int p = Partitions - 1; p >= 0; p--)
                {
                    publisher.SendOffsets(group, "txn", p, p + 2);           // more than four partitions, in reverse order
                }

                publisher.SendOffsets(group, "txn", 1, 1);                   // sent again, lower: the last one wins
                publisher.Commit();
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        }));

        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref handled) == total && publisher.State == TransactionState.Ready, TimeSpan.FromSeconds(10)));

        Assert.Empty(errors);
        Assert.Equal(
            Enumerable.Range(0, Partitions).Select(p => p == 1 ? 1L : p + 2L),
            Enumerable.Range(0, Partitions).Select(p => group.GetCommittedOffset("txn", p)));
        using PartitionReader<TestEvent> reader = output.CreateReader(0);
        Assert.Equal([total - 1L], Drain(reader));
    }
}
