using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A struct handler that does nothing, for groups whose handling the test does not look at.</summary>
public readonly struct NoOpHandler : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch)
    {
    }
}
