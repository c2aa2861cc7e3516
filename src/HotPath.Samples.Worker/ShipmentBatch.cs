namespace HotPath.Samples.Worker;

/// <summary>
/// A scoped unit of work, as a DbContext would be: one per batch (the hosting integration opens a service scope per
/// batch), collecting the batch's shipments and saving them at the batch's end.
/// </summary>
public sealed class ShipmentBatch(OrderStats stats)
{
    private readonly List<long> _orders = [];

    public void Ship(long orderId) => _orders.Add(orderId);

    public void Save()
    {
        stats.AddShipments(_orders.Count);
        _orders.Clear();
    }
}
