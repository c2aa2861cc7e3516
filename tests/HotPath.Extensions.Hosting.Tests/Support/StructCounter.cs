using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A struct handler given as a value (no container): records into the shared ledger it holds.</summary>
public readonly struct StructCounter(Ledger ledger) : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch) => ledger.Record([@event.Id]);
}
