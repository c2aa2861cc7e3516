using HotPath.Consumers;
using HotPath.Topics;
using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A class handler that publishes each order into the keyed topic "shipments" (a pipeline stage).</summary>
public sealed class Forwarder([FromKeyedServices("shipments")] Topic<Order> shipments) : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch) => shipments.Publish(@event.Id, in @event);
}
