using HotPath.Consumers;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A class handler resolved from the container: counts each event in the shared ledger, through its scoped unit of work.</summary>
public sealed class CountingHandler(UnitOfWork unitOfWork) : IEventHandler<Order>
{
    public void OnEvent(ref readonly Order @event, int partition, long offset, bool endOfBatch)
    {
        unitOfWork.Add(@event.Id);
        if (endOfBatch)
        {
            unitOfWork.Flush();
        }
    }
}
