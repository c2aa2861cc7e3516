using HotPath.Consumers;

namespace HotPath.Samples.Worker;

/// <summary>The audit group's handler: a struct given as a value, called without virtual dispatch and without the container.</summary>
public readonly struct CountOrders(OrderStats stats) : IEventHandler<OrderPlaced>
{
    public void OnEvent(ref readonly OrderPlaced order, int partition, long offset, bool endOfBatch) => stats.AddAudited();
}
