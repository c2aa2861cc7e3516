// The README's quick start (README.md and src/HotPath/README.md), compiled here and run by QuickStartTests. Between
// the two markers, this file and the READMEs' block must be the same text: ReadmeQuickStartTests checks it.
namespace HotPath.Tests.Readme;

// <quick-start>
using HotPath.Consumers;
using HotPath.Topics;

public static class QuickStart
{
    public static async Task<long> RunAsync()
    {
        // A topic: 4 partitions, each a ring of 1,024 preallocated slots.
        using var orders = new Topic<OrderPlaced>(new TopicOptions { Name = "orders", PartitionCount = 4, Capacity = 1024 });

        // A consumer group: its own committed offset per partition. A member is a thread that owns partitions.
        using var shipping = new ConsumerGroup<OrderPlaced>(orders, new ConsumerGroupOptions { GroupId = "shipping" });
        var totals = new UnitTotals();
        shipping.Join(new CountUnits(totals), memberId: "shipping-1");

        // The key picks the partition: all events of one key land in one partition, in publish order.
        for (long orderId = 1; orderId <= 10_000; orderId++)
        {
            orders.Publish(orderId, new OrderPlaced(orderId, Quantity: 3));
        }

        await orders.CompleteAsync(); // no more events; returns once every lossless group has committed them all
        await shipping.Completion;    // the group drained: its members left and their threads ended
        return totals.Units;          // 30,000
    }                                 // disposes the group, then the topic
}

// An event: a struct, stored in place in the ring's slots (no boxing, no allocation per event).
public readonly record struct OrderPlaced(long OrderId, int Quantity);

// A handler: a struct, so the member's loop calls it without virtual dispatch. Join copies it into the member: its
// fields (_pending) live in the member's copy, private to the member's thread. What others read goes behind a
// reference (UnitTotals), written so that any thread may read it.
public struct CountUnits(UnitTotals totals) : IEventHandler<OrderPlaced>
{
    private long _pending;

    public void OnEvent(ref readonly OrderPlaced order, int partition, long offset, bool endOfBatch)
    {
        _pending += order.Quantity;
        if (endOfBatch)
        {
            totals.Add(_pending); // once per batch: the batch is committed after its last event
            _pending = 0;
        }
    }
}

public sealed class UnitTotals
{
    private long _units;

    public long Units => Interlocked.Read(ref _units);

    public void Add(long units) => Interlocked.Add(ref _units, units); // several members may add at once
}
// </quick-start>
