using HotPath.Consumers;
using HotPath.Topics;
using HotPath.Transactions;

namespace HotPath.Demo;

/// <summary>
/// The handler of the exactly-once stage (consume-transform-produce): turns each order_placed event into one
/// <see cref="ProcessedOrder"/>, keyed by the order id, and passes over the other events. Joined transactionally, it
/// publishes through the member's transaction, which commits the outputs together with the batch's input offsets;
/// joined as a plain member (the at-least-once twin), it publishes straight to the topic and the group commits the
/// offsets after the batch. Then it tells <see cref="ProcessorMember"/>, which may hang it at the end of a batch.
/// </summary>
/// <param name="output">The output topic.</param>
/// <param name="member">This member's state.</param>
internal readonly struct OrderProcessor(Topic<ProcessedOrder> output, ProcessorMember member)
    : ITransactionalHandler<OrderEvent>, IEventHandler<OrderEvent>
{
    /// <summary>Exactly once: publishes inside the member's open transaction.</summary>
    public void OnEvent(ref readonly OrderEvent @event, int partition, long offset, bool endOfBatch, TransactionalPublisher transaction)
    {
        bool placed = @event.Type == OrderEventType.Placed;
        if (placed)
        {
            Span<byte> key = stackalloc byte[OrderIds.MaxKeyLength];
            transaction.Publish(output, key[..OrderIds.WriteKey(@event.OrderId, key)], Transform(in @event));
        }

        member.Handled(partition, offset, placed, endOfBatch);
    }

    /// <summary>At least once: publishes at once; the offsets commit after the batch.</summary>
    public void OnEvent(ref readonly OrderEvent @event, int partition, long offset, bool endOfBatch)
    {
        bool placed = @event.Type == OrderEventType.Placed;
        if (placed)
        {
            Span<byte> key = stackalloc byte[OrderIds.MaxKeyLength];
            output.Publish(key[..OrderIds.WriteKey(@event.OrderId, key)], Transform(in @event));
        }

        member.Handled(partition, offset, placed, endOfBatch);
    }

    private static ProcessedOrder Transform(ref readonly OrderEvent placed) =>
        new(placed.OrderId, placed.Product, placed.Quantity, placed.TimestampTicks);
}
