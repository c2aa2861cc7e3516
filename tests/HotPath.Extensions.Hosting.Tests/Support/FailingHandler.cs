using System.Runtime.CompilerServices;

using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A struct handler that throws on every attempt at order <paramref name="failId"/>; counts the others.</summary>
public readonly struct FailingHandler(long failId, StrongBox<long> handled) : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch)
    {
        if (@event.Id == failId)
        {
            throw new InvalidOperationException($"order {failId} cannot be handled");
        }

        Interlocked.Increment(ref handled.Value);
    }
}
