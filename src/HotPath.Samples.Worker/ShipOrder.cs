using HotPath.Consumers;

namespace HotPath.Samples.Worker;

/// <summary>
/// The shipping group's handler: a class resolved from the container per batch, with its scoped
/// <see cref="ShipmentBatch"/>. An order with quantity 0 throws: the group's error policy (appsettings.json) retries it
/// once, then sends it to <c>orders.dlq</c>, which the integration logs.
/// </summary>
public sealed class ShipOrder(ShipmentBatch batch) : IEventHandler<OrderPlaced>
{
    public void OnEvent(ref readonly OrderPlaced order, int partition, long offset, bool endOfBatch)
    {
        if (order.Quantity <= 0)
        {
            throw new InvalidOperationException($"order {order.OrderId} has quantity {order.Quantity}: nothing to ship");
        }

        batch.Ship(order.OrderId);
        if (endOfBatch)
        {
            batch.Save();
        }
    }
}
